"""The runner: polls each source when due, scores, stores, records health.

One poll of one source is: claim it in the store (so no other runner polls it
at the same time), poll with the persisted cursor, score the messages in
batches, then store messages, quarantined items, rollups and the new cursor
in one transaction. A crash anywhere before that commit leaves the old
cursor, so the next poll fetches the same messages again and the idempotent
store keeps them once.

Isolation: `run()` gives each source a thread of its own, and detection,
notification and publishing one each, so a source that hangs, sleeps in a
client's retry handler or backs off delays nothing else; the heartbeat is
the main loop's only job. Each poll has a deadline ([runner]
poll_deadline_s, less than the lease): a poll that has not returned by then
is abandoned (a thread cannot be killed), the source is recorded as failing
"no answer within N s" and retried with backoff, and whatever the abandoned
call returns later is dropped, never committed. While an abandoned call is
still running, the source is not polled again (one stuck thread per source
at most). The store also refuses a commit once the lease has run out.

A failing source backs off exponentially with jitter; `SourceStopped` parks
a source until a person fixes its cause. `run_pending()` is the synchronous
form (tests, `python -m worker --once`): every due source once, in turn,
each still under its deadline. The runner never touches Streamlit: the app
asks worker.inapp for the one in-app runner of its process, and `python -m
worker` runs it as a process of its own.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from functools import partial
from typing import TYPE_CHECKING, Callable, Sequence

import sqlalchemy as sa

from crisis import narrative_store
from model.message import Message, Quarantined
from model.score import Score
from monitors.base import Monitor, PollResult, RetryAt, SourceStopped
from sentiment.engine import Engine
from sentiment.rescore import rescore
from settings.redact import error_text, redact
from store import quarantine, runners, sources
from store.connection import write
from store.ingest import store_messages

if TYPE_CHECKING:  # delivery is wired in by worker.service, after the runner exists
    from delivery.setup import Delivery

log = logging.getLogger("crisisdesk.runner")

# How often an idle runner looks again at sources held by other runners.
MAX_IDLE_S = 5.0
HEARTBEAT_S = 15.0
RUNNER_THREAD = "crisisdesk-runner"  # the runner's main thread (its lanes are "crisisdesk-lane:...")
# After the engine failed on stored-unscored messages, wait this long before trying again.
RESCORE_RETRY_S = 60.0
# How often the threaded runner's detection, notification and publishing lanes run.
CYCLE_S = 2.0


class NoAnswer(Exception):
    """A poll did not return within its deadline and was abandoned."""


@dataclass(frozen=True)
class PollOutcome:
    source: str
    # ok, backing_off, no_answer (abandoned at its deadline), capped, stopped, not_configured,
    # or skipped (not due / held elsewhere)
    status: str
    stored: int = 0
    fetched: int = 0
    error: str = ""


def backoff_delay(failures: int, base_s: float, max_s: float, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff, capped, with jitter in [50 %, 100 %] of the step."""
    step = min(max_s, base_s * 2 ** max(0, failures - 1))
    return step * (0.5 + 0.5 * rand())


def describe(exc: BaseException) -> str:
    """A failure as stored and shown on the Sources page: never with a secret in it."""
    text = error_text(exc)
    return text if isinstance(exc, (SourceStopped, RetryAt, NoAnswer)) else f"{exc.__class__.__name__}: {text}"


def _store_error(exc: BaseException) -> str:
    """Why the store refused a message, in one line (the driver's words, not the SQL and its parameters)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"the store refused it: {orig.__class__.__name__}: {redact(first)[:500]}"


def _raw_message(message: Message) -> str:
    import json

    return json.dumps({k: str(v) if not isinstance(v, (int, str)) else v for k, v in asdict(message).items()})


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
        poll_deadline_s: float | None = None,
        cycle_s: float = CYCLE_S,
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
        poll_deadline_s = lease_s / 2 if poll_deadline_s is None else poll_deadline_s
        if not 0 < poll_deadline_s < lease_s:
            raise ValueError(f"poll_deadline_s ({poll_deadline_s}) must be less than lease_s ({lease_s})")
        self.db = db
        self.monitors = list(monitors)
        self.engine = engine
        self.batch_size = batch_size
        self.lease_s = lease_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.interval_jitter = interval_jitter  # fraction: 0.1 = each interval +-5 %
        self.poll_deadline_s = poll_deadline_s  # default: half the lease
        self.cycle_s = cycle_s
        # One scoring call at a time: engines (a tokenizer, a model) need not be thread-safe.
        self._engine_lock = threading.Lock()
        # Polls abandoned at their deadline and still running, by source: never two at once.
        self._abandoned: dict[str, threading.Thread] = {}
        self.retain_text_days = retain_text_days
        self._next_retention = 0.0
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.engine_note = engine_note or engine.name
        self.detector = detector  # crisis.detector.Detector: judges each minute
        self.notifier = notifier  # crisis.notify.SlackNotifier: sends alerts and digests
        self.delivery: Delivery | None = None  # [delivery] routes, on-duty pages, briefs (set by build_runner)
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
            result = self._fetch(monitor, claim.cursor)
            scores = self._score(result.messages)
            done = self.clock()
            next_at = done + monitor.interval_s * (1 + self.interval_jitter * (random.random() - 0.5))
            note = result.note
            if result.retry is not None:  # a rate limit struck part-way: the rest waits for its reset
                next_at = max(next_at, result.retry.when)
                note = "; ".join(n for n in (note, result.retry.reason) if n)
                log.warning("%s: %s", monitor.name, result.retry.reason)
            with write(self.db) as conn:
                stored, refused = self._store_batch(conn, monitor.name, result.messages, scores, done)
                held = quarantine.add(conn, [*result.quarantined, *refused], done)
                if result.scheduled_posts:
                    from publishing.posts import import_posts

                    import_posts(conn, result.scheduled_posts, monitor.name, done)
                sources.record_success(
                    conn,
                    monitor.name,
                    self.owner,
                    result.cursor,
                    stored,
                    done,
                    next_at,
                    reads=result.reads,
                    note=note,
                )
        except Exception as exc:  # a source's failure must never stop the runner
            return self._failed(monitor, claim, exc)
        narrative_store.observe(self.db, result.messages, scores, self.engine, done)  # never raises
        self._due[monitor.name] = next_at
        if stored:
            log.info("%s: stored %d new of %d fetched", monitor.name, stored, len(result.messages))
        if held:
            log.warning("%s: %d item(s) quarantined (see the Sources page)", monitor.name, held)
        return PollOutcome(monitor.name, "ok", stored=stored, fetched=len(result.messages))

    def _fetch(self, monitor: Monitor, cursor: str | None) -> PollResult:
        """monitor.poll(cursor) under the deadline, on a thread of its own.

        Past the deadline the call is abandoned: NoAnswer is raised here, and
        what the call returns later lands in a box nobody reads, so it is never
        committed. Until that call ends, the source is not polled again."""
        stuck = self._abandoned.get(monitor.name)
        if stuck is not None:
            if stuck.is_alive():
                raise NoAnswer(f"no answer within {self.poll_deadline_s:g} s: an earlier poll has still not returned")
            del self._abandoned[monitor.name]
        box: dict = {}
        finished = threading.Event()

        def call() -> None:
            try:
                box["result"] = monitor.poll(cursor)
            except BaseException as exc:  # handed to the runner's thread, never lost
                box["error"] = exc
            finally:
                finished.set()

        thread = threading.Thread(target=call, name=f"crisisdesk-poll:{monitor.name}", daemon=True)
        thread.start()
        if not finished.wait(self.poll_deadline_s):
            self._abandoned[monitor.name] = thread
            raise NoAnswer(f"no answer within {self.poll_deadline_s:g} s")
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _store_batch(
        self, conn: sa.Connection, name: str, batch: list[Message], scores: list[Score | None], now: float
    ) -> tuple[int, list[Quarantined]]:
        """Store the batch; if the store refuses it, store it message by message
        and quarantine the ones it refuses, so one bad value never stalls a source."""
        try:
            with conn.begin_nested():
                return store_messages(conn, batch, scores, self._engine_id(scores), now), []
        except (sa.exc.OperationalError, sa.exc.InterfaceError):
            raise  # the store itself failing: the whole poll is retried
        except Exception:
            log.warning("%s: the store refused a batch of %d; storing it one by one", name, len(batch))
        stored, refused = 0, []
        for message, score in zip(batch, scores):
            try:
                with conn.begin_nested():
                    stored += store_messages(conn, [message], [score], self._engine_id([score]), now)
            except (sa.exc.OperationalError, sa.exc.InterfaceError):
                raise
            except Exception as exc:
                refused.append(Quarantined(name, message.external_id, _raw_message(message), _store_error(exc)))
        return stored, refused

    def _score(self, batch: list[Message]) -> list[Score | None]:
        scores: list[Score | None] = []
        for start in range(0, len(batch), self.batch_size):
            texts = [m.text for m in batch[start : start + self.batch_size]]
            try:
                with self._engine_lock:
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
        # A poll abandoned at its deadline shows as failing at once: it may hold a thread and a connection.
        status = "no_answer" if isinstance(exc, NoAnswer) else "backing_off"
        log.warning("%s failed (%s); retrying in %.1f s", monitor.name, error, delay)
        sources.record_failure(self.db, monitor.name, self.owner, error, now, now + delay, status=status)
        self._due[monitor.name] = now + delay
        return PollOutcome(monitor.name, status, error=error)

    # --- scheduling ---------------------------------------------------------

    def run_pending(self) -> list[PollOutcome]:
        """Poll every source that is due now, one after another (synchronous form)."""
        now = self.clock()
        return [self.poll(m) for m in self.monitors if self._due[m.name] <= now]

    def rescore_unscored(self) -> int:
        """Score one batch of messages that were stored unscored (engine failure)."""
        now = self.clock()
        if now < self._next_rescore:
            return 0
        try:
            with self._engine_lock:
                return rescore(self.db, self.engine, only_unscored=True, batch_size=self.batch_size, max_batches=1)
        except Exception:
            log.exception("rescoring unscored messages failed; trying again in %.0f s", RESCORE_RETRY_S)
            self._next_rescore = now + RESCORE_RETRY_S
            return 0

    def detect_and_notify(self) -> None:
        """Detection, notification and publishing in turn (synchronous form;
        the threaded runner runs each on a lane of its own). Their failures
        never stop ingestion: they are logged here (and a Slack failure is
        recorded on its alert for the pages)."""
        self.detect()
        self.notify()
        self.deliver()
        self.publish()

    def detect(self) -> None:
        if self.detector is not None:
            try:
                self.detector.evaluate(self.clock())
            except Exception:
                log.exception("crisis detection failed this cycle")
        try:
            from incidents import key_accounts

            key_accounts.scan(self.db, self.clock())
        except Exception:
            log.exception("key-account matching failed this cycle")

    def notify(self) -> None:
        if self.notifier is None:
            return
        try:
            from incidents import key_accounts

            key_accounts.escalate(self.db, self.notifier.client, self.clock())
        except Exception:
            log.exception("key-account escalation failed this cycle")
        try:
            self.notifier.queue_digest()
            self.notifier.send_pending()
        except Exception:
            log.exception("Slack notification failed this cycle")

    def deliver(self) -> None:
        """The [delivery] routes (Teams, email, webhooks, the person on duty),
        escalation of unacknowledged pages, and scheduled briefs."""
        if self.delivery is None:
            return
        try:
            self.delivery.run_once()
        except Exception:
            log.exception("alert delivery failed this cycle")

    def publish(self) -> None:
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

    def _source_step(self, monitor: Monitor) -> float:
        if self._due[monitor.name] <= self.clock():
            self.poll(monitor)
        return max(0.05, min(MAX_IDLE_S, self._due[monitor.name] - self.clock()))

    def _housekeeping(self) -> float:
        self.detect()
        self.rescore_unscored()
        self.apply_retention()
        return self.cycle_s

    def _each_cycle(self, step: Callable[[], None]) -> Callable[[], float]:
        """`step` as a lane step that waits one cycle between runs."""

        def run() -> float:
            step()
            return self.cycle_s

        return run

    def _lane(self, name: str, step: Callable[[], float], stop: threading.Event) -> threading.Thread:
        """A thread that runs `step` until `stop`, waiting what it returns between runs."""

        def loop() -> None:
            while not stop.is_set():
                try:
                    wait = step()
                except Exception:  # the store itself failing: keep trying, say so
                    log.exception("runner lane %s failed; retrying", name)
                    wait = self.backoff_base_s
                stop.wait(wait)

        thread = threading.Thread(target=loop, name=f"crisisdesk-lane:{name}", daemon=True)
        thread.start()
        return thread

    def run(self, stop: threading.Event) -> None:
        log.info("runner %s started with sources %s", self.owner, [m.name for m in self.monitors])
        try:
            sources.retry_stopped(self.db, [m.name for m in self.monitors])
        except Exception:
            log.exception("could not give stopped sources another try")
        lanes = [self._lane(f"source:{m.name}", partial(self._source_step, m), stop) for m in self.monitors]
        lanes += [
            self._lane("detect", self._housekeeping, stop),
            self._lane("notify", self._each_cycle(self.notify), stop),
            self._lane("deliver", self._each_cycle(self.deliver), stop),
            self._lane("publish", self._each_cycle(self.publish), stop),
        ]
        while not stop.is_set():
            try:
                self.heartbeat()
            except Exception:
                log.exception("runner heartbeat failed; retrying")
            stop.wait(min(1.0, self.cycle_s))
        # Lanes end at their next step; one stuck in a call that never returns
        # (a client without a timeout) is left behind: it is a daemon thread.
        until = time.monotonic() + self.poll_deadline_s + 1
        for lane in lanes:
            lane.join(timeout=max(0.0, until - time.monotonic()))
        stuck = [lane.name for lane in lanes if lane.is_alive()]
        if stuck:
            log.warning("runner %s stopping without waiting for %s", self.owner, ", ".join(stuck))
        try:
            runners.unregister(self.db, self.owner)
        except Exception:
            log.exception("could not unregister runner %s", self.owner)
        log.info("runner %s stopped", self.owner)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name=RUNNER_THREAD, daemon=True)
        thread.start()
        return thread, stop
