"""Worker processes on one PostgreSQL store: a source is polled by one
worker at a time, every message is stored exactly once, and when the worker
holding a source dies, another takes it over once its lease expires."""

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from settings import load_settings
from store.schema import messages, source_state
from tests.conftest import ROOT, TEST_DATABASE_URL, _fresh_postgres, write_config
from tests.test_feeds_monitor import FeedServer
from worker.service import open_store

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (a PostgreSQL database to empty)"
)
LEASE_S = 4


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def test_a_killed_workers_source_moves_to_the_others_within_the_lease(tmp_path):
    _fresh_postgres(TEST_DATABASE_URL).dispose()
    feed = FeedServer()
    feed.stall_s = 60  # the first poll hangs: its worker holds the lease when it is killed
    path = write_config(
        tmp_path,
        f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n[store]\nurl = "{TEST_DATABASE_URL}"\n'
        f"[runner]\nin_app = false\nlease_s = {LEASE_S}\npoll_deadline_s = 3\nclient_timeout_s = 2\n"
        f'[sentiment]\nengine = "vader"\n[[sources.feeds]]\nname = "ledger"\nurl = "{feed.url}"\ninterval_s = 300\n',
    )
    db = open_store(load_settings(path))
    env = {**os.environ, "CRISISDESK_CONFIG": str(path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(3)
    ]
    try:

        def holder():
            with db.connect() as conn:
                return conn.execute(sa.select(source_state.c.lease_owner)).scalar()

        owner = wait_for(holder, 60, "a worker to claim the feed")
        pid = int(owner.split(":")[1])
        assert pid in {w.pid for w in workers}
        wait_for(lambda: len(feed.requests) == 1, 10, "the stuck first poll")
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: len(feed.requests) == 2, LEASE_S + 15, "another worker to take the feed over")
        assert time.monotonic() - killed_at < LEASE_S + 12  # the lease, plus one idle check of a runner

        def stored():
            with db.connect() as conn:
                return sorted(conn.execute(sa.select(messages.c.external_id)).scalars())

        wait_for(lambda: len(stored()) == 2, 10, "the feed's two entries")
        time.sleep(3)
        assert len(feed.requests) == 2  # and no one polls it again before its interval
        assert len(stored()) == 2  # every entry exactly once
        with db.connect() as conn:
            owner_now, status = conn.execute(sa.select(source_state.c.lease_owner, source_state.c.status)).one()
        assert (owner_now, status) == (None, "ok")
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            w.wait(10)
        feed.server.shutdown()
        db.dispose()
