"""Outages said out loud and recovered from without a restart: pages show one
line with since-when and keep retrying, workers wait for the store instead of
exiting with a traceback, and every configuration that cannot work is named."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from settings import ConfigError, load_settings
from store.health import Health, describe
from tests.conftest import ROOT, TEST_DATABASE_URL, _fresh_postgres, write_config
from tests.tcp_proxy import TcpProxy

needs_pg = pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL store tests need TEST_DATABASE_URL")


def test_the_health_line_says_since_when_and_that_it_retries():
    health = Health()
    assert health.line() is None
    down = datetime(2026, 11, 23, 2, 14, 5).timestamp()
    health.failed("PostgreSQL at db:5432/crisisdesk: connection refused (is the server running?)", now=down)
    health.failed("PostgreSQL at db:5432/crisisdesk: connection refused (is the server running?)", now=down + 30)
    line = health.line()
    assert line.startswith("The database is unreachable since 02:14:05 (PostgreSQL at db:5432/crisisdesk")
    assert "retrying every 5 s, 2 attempt(s) so far" in line
    health.ok()
    assert health.line() is None


def test_describe_names_the_sqlite_file_and_what_is_wrong(tmp_path):
    (tmp_path / "live.sqlite3").mkdir()
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    assert (
        describe(Exception("unable to open database file"), url)
        == f"the SQLite file {tmp_path}/live.sqlite3 is a directory"
    )
    assert (
        describe(Exception("boom"), f"sqlite:///{tmp_path}/gone/x.sqlite3")
        == f"the data directory {tmp_path}/gone does not exist"
    )


# --- the worker -------------------------------------------------------------------


def start_worker(config_path, *args, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "worker", *args],
        cwd=ROOT,
        env={**os.environ, "CRISISDESK_CONFIG": str(config_path), "CRISISDESK_STORE_RETRY_S": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(stream, needle: str, timeout_s: float = 60) -> str:
    seen = ""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = stream.readline()
        seen += line
        if needle in line:
            return seen
        if not line:
            break
    raise AssertionError(f"{needle!r} not said; got:\n{seen}")


def test_a_worker_started_while_the_sqlite_store_cannot_open_waits_names_the_path_and_recovers(drill_config):
    path, settings = drill_config()
    blocker = settings.data_dir / "drill.sqlite3"
    blocker.mkdir(parents=True)  # the store file cannot be opened
    worker = start_worker(path, "--once")
    try:
        said = wait_for_line(worker.stderr, "retrying every 1 s")
        assert f"the database is not usable: the SQLite file {blocker} is a directory" in said
        blocker.rmdir()  # the operator fixes it; no restart
        out, err = worker.communicate(timeout=120)
    finally:
        worker.kill()
    assert worker.returncode == 0, err
    assert "source=drill status=ok" in out
    assert "the database is usable again" in err
    assert "Traceback" not in said + err


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_a_worker_with_a_read_only_data_dir_waits_and_says_so_with_the_path(drill_config, tmp_path):
    path, settings = drill_config()
    data = settings.data_dir
    (tmp_path / "disk").mkdir()
    data.mkdir(parents=True)
    # A read-only file system (root ignores file modes, not this).
    if not (mount("--bind", str(tmp_path / "disk"), str(data)) and mount("-o", "remount,ro,bind", str(data))):
        subprocess.run(["umount", str(data)], capture_output=True)
        pytest.skip("needs a read-only bind mount (root with CAP_SYS_ADMIN)")
    worker = start_worker(path, "--once")
    try:
        said = wait_for_line(worker.stderr, "retrying every 1 s")
        assert f"the data directory {data} is not writable" in said
        assert "Traceback" not in said
        assert mount("-o", "remount,rw,bind", str(data))  # the operator fixes it; no restart
        out, err = worker.communicate(timeout=120)
    finally:
        worker.kill()
        subprocess.run(["umount", str(data)], capture_output=True)
    assert worker.returncode == 0, err
    assert "source=drill status=ok" in out


@needs_pg
def test_a_worker_started_while_postgresql_is_down_waits_and_starts_when_it_is_back(drill_config):
    _fresh_postgres(TEST_DATABASE_URL).dispose()
    target = sa.make_url(TEST_DATABASE_URL)
    proxy = TcpProxy(target.port or 5432)
    path, _ = drill_config(f'[store]\ndrill_url = "{target.set(port=proxy.port).render_as_string(False)}"\n')
    worker = start_worker(path, "--once")
    try:
        said = wait_for_line(worker.stderr, "retrying every 1 s")
        assert f"PostgreSQL at 127.0.0.1:{proxy.port}/{target.database}: connection refused" in said
        proxy.up()
        out, err = worker.communicate(timeout=120)
    finally:
        worker.kill()
        proxy.down()
    assert worker.returncode == 0, err
    assert "source=drill status=ok" in out
    assert "Traceback" not in said + err


def test_a_worker_waiting_for_the_store_stops_on_sigterm(drill_config):
    path, settings = drill_config()
    (settings.data_dir / "drill.sqlite3").mkdir(parents=True)
    worker = start_worker(path)
    try:
        wait_for_line(worker.stderr, "retrying every 1 s")
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    finally:
        worker.kill()
    assert worker.returncode == 0


@pytest.mark.parametrize(
    "extra, env, expected",
    [
        (
            '[store]\ndrill_url = "mysql://u:hunter2@db/x"\n',
            {},
            "[store] drill_url: 'mysql://u:***@db/x': 'mysql' is not supported",
        ),
        ('[store]\ndrill_url = "not a url"\n', {}, "[store] drill_url: 'not a url': not a database URL"),
        (
            "",
            {"CRISISDESK_DATABASE_URL_DRILL": "postgres//x"},
            "CRISISDESK_DATABASE_URL_DRILL: 'postgres//x': not a database URL",
        ),
    ],
)
def test_a_bad_store_url_stops_the_worker_naming_key_and_url(tmp_path, extra, env, expected):
    path = write_config(tmp_path, f'[app]\nmode = "drill"\ndata_dir = "{tmp_path / "data"}"\n' + extra)
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--once"],
        cwd=ROOT,
        env={**os.environ, "CRISISDESK_CONFIG": str(path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr


# --- configuration errors ------------------------------------------------------------


def test_a_config_with_a_utf8_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes("\ufeff[app]\ntitle = 'War room'\n".encode())
    assert load_settings(path).app.title == "War room"


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p.write_text("[app]\ntitle = 'x'\n", encoding="utf-16"), "saved as UTF-16; TOML must be UTF-8"),
        (lambda p: p.mkdir(), "is a directory, not a file"),
        (lambda p: p.write_bytes(b"[app]\ntitle = 'caf\xe9'\n"), "line 2: not UTF-8 (byte 0xE9)"),
    ],
)
def test_a_config_file_that_cannot_be_read_is_named(tmp_path, make, expected):
    path = tmp_path / "config.toml"
    make(path)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


def test_a_data_dir_that_is_a_file_is_named(tmp_path):
    (tmp_path / "data").write_text("not a directory")
    with pytest.raises(ConfigError, match=r"\[app\] data_dir: .*/data is a file, not a directory"):
        load_settings(write_config(tmp_path, f'[app]\ndata_dir = "{tmp_path / "data"}"\n'))


def test_the_worker_names_a_utf16_config_without_a_traceback(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[app]\nmode = 'drill'\n", encoding="utf-16")
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--once"],
        cwd=ROOT,
        env={**os.environ, "CRISISDESK_CONFIG": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{path}: saved as UTF-16" in done.stderr and "Traceback" not in done.stderr


# --- pages --------------------------------------------------------------------------


def outage_lines(at) -> list[str]:
    return [e.value for e in at.error if "The database is unreachable since" in e.value]


def test_the_app_shows_a_config_error_on_the_page(tmp_path, monkeypatch):
    (tmp_path / "data").write_text("a file")
    path = write_config(tmp_path, f'[app]\nmode = "drill"\ndata_dir = "{tmp_path / "data"}"\n')
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Crisis Desk cannot start" in e.value for e in at.error)
    assert any("[app] data_dir" in c.value and "is a file, not a directory" in c.value for c in at.code)


def test_a_page_opened_while_the_store_cannot_open_says_so_and_comes_back(drill_config, monkeypatch):
    path, settings = drill_config()
    blocker = settings.data_dir / "drill.sqlite3"
    blocker.mkdir(parents=True)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["view"] = "wall"
    at.run()
    assert not at.exception, at.exception
    [line] = outage_lines(at)
    assert f"the SQLite file {blocker} is a directory" in line and "retrying every 5 s" in line
    blocker.rmdir()
    at.run()  # what the retry fragment does every 5 s
    assert not at.exception, at.exception
    assert outage_lines(at) == []
    assert any("Waiting for the first poll" in i.value for i in at.info)  # the wall itself


@needs_pg
def test_an_open_page_says_when_postgresql_went_down_and_recovers(drill_config, monkeypatch):
    _fresh_postgres(TEST_DATABASE_URL).dispose()
    target = sa.make_url(TEST_DATABASE_URL)
    proxy = TcpProxy(target.port or 5432)
    proxy.up()
    path, _ = drill_config(f'[store]\ndrill_url = "{target.set(port=proxy.port).render_as_string(False)}"\n')
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/posts.py").run()
        assert not at.exception and outage_lines(at) == []
        proxy.down()
        at.run()
        assert not at.exception, at.exception
        [line] = outage_lines(at)
        assert f"PostgreSQL at 127.0.0.1:{proxy.port}/{target.database}" in line
        assert not [h for h in at.header if h.value == "Scheduled posts"]  # nothing stale is shown as current
        proxy.up()
        at.run()
        assert not at.exception and outage_lines(at) == []
        assert [h for h in at.header if h.value == "Scheduled posts"]
    finally:
        proxy.down()
