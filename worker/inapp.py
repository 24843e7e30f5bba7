"""The in-app runner: one per process, whatever happens to Streamlit's caches.

Pages ask for it with `ensure_runner(settings)`; the first call starts it,
every later call (a rerun, a new session, a cleared st.cache_resource, which
any visitor can ask for) gets the same one. The runner lives in this module's
global under a lock, never in a Streamlit cache. A changed configuration
stops the old runner before the new one starts, so there is never more than
one.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from settings import Settings
from store.connection import DATABASE_URL_ENV, database_url
from worker.runner import Runner

log = logging.getLogger("crisisdesk.runner")


@dataclass
class _InApp:
    key: str
    runner: Runner
    thread: threading.Thread
    stop: threading.Event


_lock = threading.Lock()
_current: _InApp | None = None


def _key(settings: Settings) -> str:
    # The configuration and the store it writes to (an environment URL can change it).
    env = os.environ.get(DATABASE_URL_ENV + ("_DRILL" if settings.is_drill else ""), "")
    return f"{settings.model_dump_json()}|{database_url(settings) if not env else env}"


def ensure_runner(settings: Settings) -> Runner:
    """This process's in-app runner for `settings`, started on the first call."""
    global _current
    from worker.service import build_runner, open_store

    key = _key(settings)
    with _lock:
        if _current is not None and _current.key == key and _current.thread.is_alive():
            return _current.runner
        _stop_locked()
        db = open_store(settings)
        runner = build_runner(settings, db)
        thread, stop = runner.start_thread()
        _current = _InApp(key, runner, thread, stop)
        log.info("in-app runner %s started", runner.owner)
        return runner


def current() -> Runner | None:
    """The in-app runner if one runs in this process."""
    with _lock:
        return _current.runner if _current is not None and _current.thread.is_alive() else None


def stop_runner() -> None:
    """Stop this process's in-app runner (tests; a changed configuration)."""
    with _lock:
        _stop_locked()


def _stop_locked() -> None:
    global _current
    if _current is None:
        return
    old, _current = _current, None
    old.stop.set()
    old.thread.join(timeout=old.runner.poll_deadline_s + 10)
    if old.thread.is_alive():
        log.warning("in-app runner %s did not stop in time; it ends with its current poll", old.runner.owner)
    old.runner.db.dispose()
