"""Slack notifications against a fake Slack server on 127.0.0.1."""

import json

import pytest
import sqlalchemy as sa

from crisis.detector import Detector
from crisis.notify import SlackNotifier, slack_client
from crisis.presets import PRESETS
from delivery.problems import failures as notifier_failures
from store.connection import write
from store.schema import alerts
from tests.actors import ANA
from tests.fake_slack import FakeSlack

T0 = 1_800_000_000
TOKEN = "xoxb-test-token-not-real"
HOSTILE = "<!channel> <https://evil.example|click> *bold* `code`"


@pytest.fixture
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def notifier(db, slack, clock):
    return SlackNotifier(
        db,
        slack_client(TOKEN, slack.base_url, timeout_s=5),
        {"crisis_team": "#crisis-team", "executives": "#exec"},
        clock=clock,
    )


def add_alert(db, *, level=2, old=0, suppressed=False, at=T0, samples=None):
    explanation = {
        "rising": [
            {
                "series": "x",
                "window_minutes": 1,
                "observed": 16,
                "expected": 3.0,
                "factor": 5.3,
                "negative_share": 0.7,
                "expected_negative_share": 0.15,
                "baseline": "trailing 6 h",
            }
        ],
        "new_terms": [["#tidewellleak", 9], ["clips", 7]],
        "narratives": [
            {
                "text": "Tidewell left camera clips on an open server",
                "source": "x",
                "author": "@a",
                "posts": 40,
                "negative_share": 0.9,
                "reach": 52000,
                "first_seen": at - 600,
                "last_hour": 40,
                "hour_before": 0,
                "growth": "new this hour",
            }
        ],
        "top_authors": [{"author": "@mira_secures", "source": "x", "reach": 84000}],
        "samples": samples or [{"source": "x", "author": "@someone", "reach": 10, "text": HOSTILE}],
    }
    with write(db) as conn:
        conn.execute(
            alerts.insert().values(
                at=at,
                kind="level",
                audience="crisis_team",
                old_level=old,
                new_level=level,
                reason="detected",
                suppressed=suppressed,
                summary="CRISIS · x: 16 messages in 1 min vs 3 expected",
                explanation=json.dumps(explanation),
            )
        )


def test_a_level_change_goes_to_the_crisis_team_with_blocks_and_fallback(db, slack, clock):
    add_alert(db)
    assert notifier(db, slack, clock).send_pending() == 1
    [post] = slack.posts()
    assert post["auth"] == f"Bearer {TOKEN}"
    body = post["body"]
    assert body["channel"] == "#crisis-team"
    assert body["text"].startswith(":red_circle: CRISIS · x: 16 messages")
    blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Crisis level CRISIS (was normal, detected)", "emoji": False},
    }
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert (
        "What people are saying:\n1. Tidewell left camera clips on an open server "
        "(40 posts, 90% negative, 52,000 reach, new this hour)"
    ) in texts
    assert not any("New terms" in t for t in texts)
    assert any("@mira_secures (x, 84,000 reach)" in t for t in texts)
    # Outside text travels only as plain_text: no @channel, no link, no formatting.
    hostile = [b for b in blocks if b["type"] == "section" and HOSTILE in b.get("text", {}).get("text", "")]
    assert hostile and all(b["text"]["type"] == "plain_text" for b in hostile)
    assert all(b.get("text", {}).get("type", "plain_text") == "plain_text" for b in blocks)
    # Sent once: a second round sends nothing.
    assert notifier(db, slack, clock).send_pending() == 0
    assert len(slack.posts()) == 1


def test_a_drill_alert_says_drill_first_and_a_live_one_never_does(db, slack, clock):
    add_alert(db)
    add_alert(db, level=1, old=2)
    live = notifier(db, slack, clock)
    drill = SlackNotifier(
        db, slack_client(TOKEN, slack.base_url, timeout_s=5), {"crisis_team": "#crisis-team"}, clock=clock, drill=True
    )
    assert drill.drill and not live.drill
    assert drill.send_pending() == 2
    for post in slack.posts():
        body = post["body"]
        blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
        assert body["text"].split(" ", 1)[1].startswith("DRILL · ")  # after the level's icon
        assert blocks[0]["text"]["text"].startswith("DRILL · Crisis level ")
        assert blocks[1]["text"]["text"] == "DRILL - exercise data, not a real crisis"
    add_alert(db)
    assert live.send_pending() == 1
    body = slack.posts()[-1]["body"]
    assert "DRILL" not in body["text"] and "DRILL" not in json.dumps(body["blocks"])


def test_429_with_retry_after_is_retried(db, slack, clock):
    add_alert(db)
    slack.script.append((429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}))
    assert notifier(db, slack, clock).send_pending() == 1
    assert len(slack.posts()) == 2  # the refused one and the retry


def test_500_is_not_retried_it_is_outcome_unknown(db, slack, clock):
    # Slack received it and may have posted it: slack-sdk's server-error retry would post it twice.
    add_alert(db)
    slack.script.append((500, {}, b"upstream trouble"))
    n = notifier(db, slack, clock)
    assert n.send_pending() == 0
    assert len(slack.posts()) == 1
    [failure] = notifier_failures(db)
    assert failure.startswith("crisis_team → slack ([notify]): outcome unknown: Slack answered HTTP 500")
    clock.advance(3600)
    assert n.send_pending() == 0 and len(slack.posts()) == 1  # never again by itself


def test_a_failure_is_recorded_backed_off_and_never_raised(db, slack, clock):
    add_alert(db)
    slack.script.extend([(200, {}, {"ok": False, "error": "channel_not_found"})])
    n = notifier(db, slack, clock)
    assert n.send_pending() == 0
    assert notifier_failures(db) == [
        "crisis_team → slack ([notify]): Slack said channel_not_found (HTTP 200) (attempt 1)"
    ]
    clock.advance(30)
    assert n.send_pending() == 0 and len(slack.posts()) == 1  # backing off
    clock.advance(60)
    assert n.send_pending() == 1
    assert notifier_failures(db) == []
    with db.connect() as conn:
        row = conn.execute(sa.select(alerts.c.notify_attempts, alerts.c.notify_error)).one()
    assert tuple(row) == (2, None)


def test_unreachable_slack_is_recorded(db, clock):
    add_alert(db)
    gone = FakeSlack()
    gone.close()
    n = SlackNotifier(db, slack_client(TOKEN, gone.base_url, timeout_s=2), {"crisis_team": "#c"}, clock=clock)
    assert n.send_pending() == 0
    [failure] = notifier_failures(db)
    assert "Error" in failure and TOKEN not in failure


def test_suppressed_alerts_are_not_sent(db, slack, clock):
    add_alert(db, suppressed=True)
    assert notifier(db, slack, clock).send_pending() == 0
    assert slack.posts() == []


def test_executives_get_digests_every_30_minutes_during_a_crisis(db, slack, clock):
    clock.now = T0
    Detector(db, PRESETS["medium"]).declare(ANA, "leak confirmed", T0)
    n = notifier(db, slack, clock)
    assert n.queue_digest() is True
    assert n.queue_digest() is False  # not yet due
    n.send_pending()
    channels = [p["body"]["channel"] for p in slack.posts()]
    assert channels == ["#crisis-team", "#exec"]
    digest = slack.posts()[1]["body"]
    blocks = digest["blocks"] if isinstance(digest["blocks"], list) else json.loads(digest["blocks"])
    assert blocks[0]["text"]["text"] == "Digest: crisis"
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    assert any(t.startswith("Crisis level: crisis (↑ worse than 1 h ago") for t in texts)
    assert any(t.startswith("Scheduled posts: ") for t in texts)  # what the team is doing
    assert any(t.startswith("Publishing: running") for t in texts)
    clock.advance(29 * 60)
    assert n.queue_digest() is False
    clock.advance(61)
    assert n.queue_digest() is True


def test_the_runner_sends_alerts_when_slack_is_configured(drill_config, slack, monkeypatch, caplog):
    from worker.service import build_runner, open_store

    extra = f'[notify]\nslack_base_url = "{slack.base_url}"\ncrisis_team_channel = "#crisis-team"\n'
    path, settings = drill_config(extra)
    db = open_store(settings)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert build_runner(settings, db).notifier is None  # no token: off, and the log says why
    assert "Slack notifications off: no SLACK_BOT_TOKEN" in caplog.text

    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    runner = build_runner(settings, db)
    runner.detector.declare(ANA, "confirmed leak")
    slack.script.append((200, {}, {"ok": False, "error": "not_in_channel"}))
    runner.detect_and_notify()  # refused: recorded, retried later, does not raise
    assert notifier_failures(db)[0].startswith("crisis_team → slack ([notify]): Slack said not_in_channel")
    assert TOKEN not in caplog.text
    with db.begin() as conn:
        conn.execute(alerts.update().values(notify_next_at=None))
    runner.detect_and_notify()
    assert [p["body"]["channel"] for p in slack.posts()][-1] == "#crisis-team"
    assert notifier_failures(db) == []
    # This runner plays a drill: its alert says so first, so a forwarded copy never reads as a real crisis.
    body = slack.posts()[-1]["body"]
    blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
    assert body["text"].startswith(":red_circle: DRILL · CRISIS")
    assert blocks[0]["text"]["text"].startswith("DRILL · Crisis level CRISIS")
    assert blocks[1]["text"]["text"] == "DRILL - exercise data, not a real crisis"
