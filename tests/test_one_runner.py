"""Exactly one in-app runner per process, whatever happens to Streamlit's
caches (any visitor, signed in or not, can ask the server to clear them)."""

import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from worker import inapp
from worker.runner import RUNNER_THREAD


def runner_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == RUNNER_THREAD and t.is_alive()]


@pytest.fixture
def no_runner():
    inapp.stop_runner()
    st.cache_resource.clear()
    yield
    inapp.stop_runner()
    st.cache_resource.clear()


def test_clearing_streamlits_caches_never_starts_a_second_runner(drill_config, monkeypatch, no_runner):
    path, _ = drill_config(in_app=True)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    before = len(runner_threads())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    first = inapp.current()
    assert first is not None and len(runner_threads()) == before + 1
    for _ in range(3):
        st.cache_resource.clear()  # what a "clear cache" message over the websocket does
        at.run()
        assert not at.exception, at.exception
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # and a new visitor's session
    assert len(runner_threads()) == before + 1
    assert inapp.current() is first


def test_a_changed_configuration_replaces_the_runner(drill_config, no_runner):
    _, settings = drill_config(in_app=True)
    first = inapp.ensure_runner(settings)
    assert inapp.ensure_runner(settings) is first
    changed = settings.model_copy(update={"drill": settings.drill.model_copy(update={"speed": 2.0})})
    second = inapp.ensure_runner(changed)
    assert second is not first and inapp.current() is second
    assert len(runner_threads()) == 1
    inapp.stop_runner()
    assert inapp.current() is None and runner_threads() == []
