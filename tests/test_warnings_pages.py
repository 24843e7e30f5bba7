"""Warnings where the crisis team looks (AppTest): alerts that reach nobody or
fail on the Crisis level and Sources pages, a FAQ publish that is not set up,
and a stand-down while it is still hot, which asks first with the figures."""

from __future__ import annotations

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crisis.stand_down import still_hot
from delivery.problems import delivery_problems, failures
from store.connection import write
from store.schema import alerts, deliveries
from tests.conftest import ROOT
from worker.service import open_store


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def store_with(drill_config, monkeypatch, extra: str = ""):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TEAMS_WEBHOOK_CRISIS", raising=False)
    path, settings = drill_config(extra)
    db = open_store(settings)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    return db, settings


def add_alert(db, at: float, error: str | None = None) -> int:
    with write(db) as conn:
        return conn.execute(
            alerts.insert()
            .values(
                at=at,
                kind="level",
                audience="crisis_team",
                old_level=0,
                new_level=2,
                reason="raised",
                summary="CRISIS",
                explanation="{}",
                notify_attempts=1 if error else 0,
                notify_error=error,
            )
            .returning(alerts.c.id)
        ).scalar_one()


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_alerts_that_go_nowhere_are_a_warning_on_the_crisis_and_sources_pages(drill_config, monkeypatch):
    db, _ = store_with(drill_config, monkeypatch)
    for page in ("pages/crisis.py", "pages/sources.py"):
        at = open_page(page)
        assert any(
            w.startswith("Alerts are not sent anywhere: no Slack channel is set in [notify]") for w in warnings(at)
        )
        assert not any("Every alert was delivered" in c.value for c in at.caption)
    at = open_page("pages/crisis.py")
    add_alert(db, 1_800_000_000)
    at.run()
    history = next(d.value for d in at.dataframe if "sent to Slack" in d.value.columns)
    assert list(history["sent to Slack"]) == ["Slack not set up"]  # not a bare "no"


def test_a_slack_channel_without_its_token_and_failed_sends_are_named(drill_config, monkeypatch):
    db, settings = store_with(
        drill_config,
        monkeypatch,
        '[notify]\ncrisis_team_channel = "#crisis"\n[delivery.routes]\ncrisis_team = ["teams:crisis"]\n',
    )
    first = add_alert(db, 1_800_000_000, "Slack said channel_not_found (HTTP 200)")
    later = add_alert(db, 1_800_000_600)
    with write(db) as conn:
        conn.execute(
            deliveries.insert().values(
                alert_id=later,
                audience="crisis_team",
                channel="teams:crisis",
                status="failed",
                attempts=1,
                last_error="Teams webhook crisis is not configured: set TEAMS_WEBHOOK_CRISIS",
                created_at=1_800_000_600,
            )
        )
    # One query for both senders, newest first.
    assert failures(db) == [
        "crisis_team → teams:crisis: Teams webhook crisis is not configured: set TEAMS_WEBHOOK_CRISIS "
        "(gave up, attempt 1)",
        "crisis_team → slack ([notify]): Slack said channel_not_found (HTTP 200) (attempt 1)",
    ]
    problems = delivery_problems(settings, db)
    assert problems.not_configured == [
        "Slack alerts ([notify]): set SLACK_BOT_TOKEN or [slack] bot_token",
        "Teams webhook crisis: set TEAMS_WEBHOOK_CRISIS or [teams_webhook] crisis",
    ]
    assert not problems.nowhere and first
    for page in ("pages/crisis.py", "pages/sources.py"):
        at = open_page(page)
        assert "Alerts cannot be sent on these routes until the setting named is added:" in warnings(at)
        assert "Alerts are not getting through (latest first):" in warnings(at)
        texts = [t.value for t in at.text]
        assert "Slack alerts ([notify]): set SLACK_BOT_TOKEN or [slack] bot_token" in texts
        assert any(t.startswith("crisis_team → slack ([notify]): Slack said channel_not_found") for t in texts)
        assert any(t.startswith("crisis_team → teams:crisis: ") for t in texts)


def test_everything_delivered_says_so_on_the_sources_page(drill_config, monkeypatch):
    store_with(drill_config, monkeypatch, '[notify]\ncrisis_team_channel = "#crisis"\n')
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-configured")
    at = open_page("pages/sources.py")
    assert not any("Alerts" in w for w in warnings(at))
    assert any(c.value == "Every alert was delivered on every configured route." for c in at.caption)


def test_faq_publish_names_the_missing_slack_settings_in_a_warning(drill_store, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    drill_store(0.5)
    at = open_page("pages/faq.py")
    at.text_input(key="inc_name").input("Camera clip leak")
    at.text_area(key="inc_summary").input("Clips exposed.")
    at.button(key="FormSubmitter:declare_form-Declare the incident").click().run()
    [warning] = [w for w in warnings(at) if "Publishing to staff on Slack is not set up" in w]
    assert "[notify] staff_channel in config.toml" in warning and "SLACK_BOT_TOKEN" in warning
    assert not any("Publishing to Slack needs" in c.value for c in at.caption)  # no grey caption


def test_stand_down_while_hot_asks_first_with_the_figures(drill_store):
    db = drill_store(20)
    at = open_page("pages/crisis.py")
    assert at.header[0].value in ("Crisis level: CRISIS", "Crisis level: WATCH")
    at.text_input(key="override_why").input("statement is out")
    at.button[1].click().run()  # Stand down
    assert at.header[0].value != "Crisis level: NORMAL"  # not yet
    [ask] = [w for w in warnings(at) if w.startswith("It is still hot: ")]
    assert "messages a minute over the last" in ask and "negative" in ask
    at.button(key="stand_down_no").click().run()
    assert not any(w.startswith("It is still hot") for w in warnings(at))
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(alerts.c.reason == "stood down")).scalar() == 0
    at.text_input(key="override_why").input("statement is out")
    at.button[1].click().run()
    at.button(key="stand_down_yes").click().run()
    assert at.header[0].value == "Crisis level: NORMAL"
    with db.connect() as conn:
        assert conn.execute(sa.select(alerts.c.why).where(alerts.c.reason == "stood down")).scalars().all() == [
            "statement is out"
        ]


def test_still_hot_reads_the_latest_figures():
    calm = {
        "total": {
            "observed": 40,
            "window_minutes": 15,
            "expected": 30,
            "negative_share": 0.2,
            "expected_negative_share": 0.18,
        }
    }
    assert still_hot(calm) is None
    angry = {
        "total": {
            "observed": 750,
            "window_minutes": 15,
            "expected": 30,
            "negative_share": 0.75,
            "expected_negative_share": 0.2,
        }
    }
    assert still_hot(angry) == (
        "50 messages a minute over the last 15 min (usually 2.0), 75% of them negative (usually 20%)"
    )
    sour = {
        "total": {
            "observed": 30,
            "window_minutes": 15,
            "expected": 30,
            "negative_share": 0.5,
            "expected_negative_share": 0.2,
        }
    }
    assert still_hot(sour) and still_hot({}) is None
    few = {
        "total": {
            "observed": 13,
            "window_minutes": 5,
            "expected": 5,
            "negative_share": 0.08,
            "expected_negative_share": 0.08,
        }
    }
    assert still_hot(few) is None  # 13 messages against 5 is noise, not a crisis still burning
