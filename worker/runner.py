"""The runner: polls each source when due, scores, stores, records health.

One poll of one source is: claim it in the store (so no other runner polls it
at the same time), poll with the persisted cursor, score the messages in
batches, then store messages, rollups and the new cursor in one transaction.
A crash anywhere before that commit leaves the old cursor, so the next poll
fetches the same messages again and the idempotent store keeps them once.

A failing source backs off exponentially with jitter and never holds up the
others; `SourceStopped` parks a source until a person fixes its cause. The
runner never touches Streamlit: the app starts it as a daemon thread, and
`python -m worker` runs it as a process of its own.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Sequence

import sqlalchemy as sa

from crisis import narrative_store
from monitors.base import Message, Monitor, RetryAt, SourceStopped
from sentiment.engine import Engine, Score
from settings.redact import redact
from store import runners, sources
from store.connection import write
from store.ingest import store_messages
from store.rescore import rescore

log = logging.getLogger("crisisdesk.runner")

# How often an idle runner looks again at sources held by other runners.
MAX_IDLE_S = 5.0
HEARTBEAT_S = 15.0
# After the engine failed on stored-unscored messages, wait this long before trying again.
RESCORE_RETRY_S = 60.0


@dataclass(frozen=True)
class PollOutcome:
    source: str
    status: str  # ok, backing_off, capped, stopped, not_configured, or skipped (not due / held elsewhere)
    stored: int = 0
    fetched: int = 0
    error: str = ""


def backoff_delay(failures: int, base_s: float, max_s: float, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff, capped, with jitter in [50 %, 100 %] of the step."""
    step = min(max_s, base_s * 2 ** max(0, failures - 1))
    return step * (0.5 + 0.5 * rand())


def describe(exc: BaseException) -> str:
    """A failure as stored and shown on the Sources page: never with a secret in it."""
    text = redact(str(exc).strip()) or exc.__class__.__name__
    return text if isinstance(exc, (SourceStopped, RetryAt)) else f"{exc.__class__.__name__}: {text}"


class Runner:
    def __init__(
        self,
        db: sa.Engine,
        monitors: Sequence[Monitor],
        engine: Engine,
        *,
        batch_size: int = 256,
        lease_s: float = 60.0,
        backoff_base_s: float = 5.0,
        backoff_max_s: float = 600.0,
        interval_jitter: float = 0.0,
        retain_text_days: float = 0.0,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
        engine_note: str = "",
        detector=None,
        notifier=None,
        publisher=None,
    ) -> None:
        names = [m.name for m in monitors]
        if len(set(names)) != len(names):
            raise ValueError(f"monitor names must be unique, got {names}")
        self.db = db
        self.monitors = list(monitors)
        self.engine = engine
        self.batch_size = batch_size
        self.lease_s = lease_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.interval_jitter = interval_jitter  # fraction: 0.1 = each interval +-5 %
        self.retain_text_days = retain_text_days
        self._next_retention = 0.0
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.engine_note = engine_note or engine.name
        self.detector = detector  # crisis.detector.Detector: judges each minute
        self.notifier = notifier  # crisis.notify.SlackNotifier: sends alerts and digests
        self.publisher = publisher  # publishing.publisher.Publisher: sends due scheduled posts
        self._due = {m.name: 0.0 for m in self.monitors}
        self._next_heartbeat = 0.0
        self._next_rescore = 0.0

    # --- one poll -----------------------------------------------------------

    def poll(self, monitor: Monitor) -> PollOutcome:
        now = self.clock()
        claim = sources.claim(self.db, monitor.name, self.owner, now, self.lease_s)
        if claim is None:
            self._due[monitor.name] = max(now + 1.0, sources.next_poll_at(self.db, monitor.name) or 0.0)
            return PollOutcome(monitor.name, "skipped")
        try:
            result = monitor.poll(claim.cursor)
            scores = self._score(result.messages)
            done = self.clock()
            next_at = done + monitor.interval_s * (1 + self.interval_jitter * (random.random() - 0.5))
            with write(self.db) as conn:
                stored = store_messages(conn, result.messages, scores, self._engine_id(scores), done)
                if result.scheduled_posts:
                    from publishing.posts import import_posts

                    import_posts(conn, result.scheduled_posts, monitor.name, done)
                sources.record_success(
                    conn, monitor.name, self.owner, result.cursor, stored, done, next_at, reads=result.reads
                )
        except Exception as exc:  # a source's failure must never stop the runner
            return self._failed(monitor, claim, exc)
        narrative_store.observe(self.db, result.messages, scores, self.engine, done)  # never raises
        self._due[monitor.name] = next_at
        if stored:
            log.info("%s: stored %d new of %d fetched", monitor.name, stored, len(result.messages))
        return PollOutcome(monitor.name, "ok", stored=stored, fetched=len(result.messages))

    def _score(self, batch: list[Message]) -> list[Score | None]:
        scores: list[Score | None] = []
        for start in range(0, len(batch), self.batch_size):
            texts = [m.text for m in batch[start : start + self.batch_size]]
            try:
                got = self.engine.score(texts)
                if len(got) != len(texts):
                    raise ValueError(f"engine returned {len(got)} scores for {len(texts)} texts")
                scores.extend(got)
            except Exception:
                # Store unscored rather than lose messages; they can be rescored.
                log.exception("engine %s failed on a batch of %d; storing it unscored", self.engine.name, len(texts))
                scores.extend([None] * len(texts))
        return scores

    def _engine_id(self, scores: list[Score | None]) -> tuple[str, str] | None:
        return (self.engine.name, self.engine.version) if any(s is not None for s in scores) else None

    def _failed(self, monitor: Monitor, claim: sources.Claim, exc: Exception) -> PollOutcome:
        now = self.clock()
        error = describe(exc)
        if isinstance(exc, SourceStopped):
            (log.warning if exc.status == "not_configured" else log.error)("%s %s: %s", monitor.name, exc.status, error)
            sources.record_failure(self.db, monitor.name, self.owner, error, now, None, status=exc.status)
            self._due[monitor.name] = float("inf")
            return PollOutcome(monitor.name, exc.status, error=error)
        if isinstance(exc, RetryAt):
            log.warning("%s: %s", monitor.name, exc.reason)
            sources.record_failure(self.db, monitor.name, self.owner, exc.reason, now, exc.when, status=exc.status)
            self._due[monitor.name] = exc.when
            return PollOutcome(monitor.name, exc.status, error=exc.reason)
        if isinstance(exc, sources.LeaseLost):
            log.warning("%s", error)
            self._due[monitor.name] = now + 1.0
            return PollOutcome(monitor.name, "skipped", error=error)
        delay = backoff_delay(claim.consecutive_failures + 1, self.backoff_base_s, self.backoff_max_s)
        log.warning("%s failed (%s); retrying in %.0f s", monitor.name, error, delay)
        sources.record_failure(self.db, monitor.name, self.owner, error, now, now + delay)
        self._due[monitor.name] = now + delay
        return PollOutcome(monitor.name, "backing_off", error=error)

    # --- scheduling ---------------------------------------------------------

    def run_pending(self) -> list[PollOutcome]:
        """Poll every source that is due now."""
        now = self.clock()
        return [self.poll(m) for m in self.monitors if self._due[m.name] <= now]

    def rescore_unscored(self) -> int:
        """Score one batch of messages that were stored unscored (engine failure)."""
        now = self.clock()
        if now < self._next_rescore:
            return 0
        try:
            return rescore(self.db, self.engine, only_unscored=True, batch_size=self.batch_size, max_batches=1)
        except Exception:
            log.exception("rescoring unscored messages failed; trying again in %.0f s", RESCORE_RETRY_S)
            self._next_rescore = now + RESCORE_RETRY_S
            return 0

    def detect_and_notify(self) -> None:
        """Detection and Slack never stop ingestion: their failures are logged here
        (and a Slack failure is recorded on its alert for the pages)."""
        if self.detector is not None:
            try:
                self.detector.evaluate(self.clock())
            except Exception:
                log.exception("crisis detection failed this cycle")
        try:
            from incidents import key_accounts

            key_accounts.scan(self.db, self.clock())
            if self.notifier is not None:
                key_accounts.escalate(self.db, self.notifier.client, self.clock())
        except Exception:
            log.exception("key-account matching failed this cycle")
        if self.notifier is not None:
            try:
                self.notifier.queue_digest()
                self.notifier.send_pending()
            except Exception:
                log.exception("Slack notification failed this cycle")
        if self.publisher is not None:
            try:
                self.publisher.run_once()
            except Exception:
                log.exception("publishing scheduled posts failed this cycle")

    def apply_retention(self) -> int:
        """Once an hour: drop raw text past the retention age (if one is set)."""
        now = self.clock()
        if not self.retain_text_days or now < self._next_retention:
            return 0
        self._next_retention = now + 3600
        from store.retention import drop_old_text

        try:
            return drop_old_text(self.db, self.retain_text_days, now)
        except Exception:
            log.exception("retention failed; trying again in an hour")
            return 0

    def heartbeat(self) -> None:
        now = self.clock()
        if now >= self._next_heartbeat:
            runners.register(self.db, self.owner, self.engine.name, self.engine.version, self.engine_note, now)
            self._next_heartbeat = now + HEARTBEAT_S

    def seconds_until_due(self) -> float:
        soonest = min(self._due.values(), default=float("inf"))
        return max(0.0, min(MAX_IDLE_S, soonest - self.clock()))

    def run(self, stop: threading.Event) -> None:
        log.info("runner %s started with sources %s", self.owner, [m.name for m in self.monitors])
        sources.retry_stopped(self.db, [m.name for m in self.monitors])
        while not stop.is_set():
            try:
                self.heartbeat()
                self.run_pending()
                self.detect_and_notify()
                self.rescore_unscored()
                self.apply_retention()
            except Exception:  # the store itself failing: keep trying, say so
                log.exception("runner cycle failed; retrying")
                stop.wait(self.backoff_base_s)
            stop.wait(self.seconds_until_due())
        try:
            runners.unregister(self.db, self.owner)
        except Exception:
            log.exception("could not unregister runner %s", self.owner)
        log.info("runner %s stopped", self.owner)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="crisisdesk-runner", daemon=True)
        thread.start()
        return thread, stop
