"""Scheduled posts: the pause switch wins, nothing is sent twice, missed
posts wait for a person, CSV imports are all or nothing, real clients."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import tweepy

from publishing import pause
from publishing.channels import DryRunChannel, SlackChannel, XChannel
from publishing.csv_import import CsvImportError, import_csv
from publishing.posts import NewPost, PostError, act, create, edit
from publishing.publisher import Publisher
from store.audit import AuditFilter, search
from store.schema import scheduled_posts as sp
from tests.actors import ANA, BEN
from tests.fake_slack import FakeSlack
from tests.fake_x import FakeX


def recent(db):
    """The audit log, newest first."""
    return search(db, AuditFilter(0, 1e12), 500)[1]


T0 = 1_800_000_000


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, tz=timezone.utc)


def post(db, seconds, text="Big sale!", channel="x", target=""):
    return create(db, NewPost(channel, text, at(seconds), "social@tidewell", target=target), ANA, T0)


def status(db, post_id):
    with db.connect() as conn:
        return conn.execute(sa.select(sp.c.status, sp.c.status_reason).where(sp.c.id == post_id)).one()


@pytest.fixture
def dry():
    return DryRunChannel()


def publisher(db, clock, channels, owner="pub-1"):
    return Publisher(db, channels, owner, clock=clock)


def test_a_due_post_is_published_once(db, clock, dry):
    pid = post(db, 60)
    pub = publisher(db, clock, {"x": dry})
    assert pub.run_once() == []  # not yet due
    clock.advance(60)
    [result] = pub.run_once()
    assert (result.post_id, result.status) == (pid, "published")
    assert pub.run_once() == [] and len(dry.sent) == 1
    assert status(db, pid).status == "published"


def test_pause_set_one_second_before_due_wins(db, clock, dry):
    pid = post(db, 60)
    clock.advance(59)
    pause.pause(db, ANA, "crisis breaking", clock.now)
    clock.advance(1)
    assert publisher(db, clock, {"x": dry}).run_once() == []
    assert dry.sent == [] and status(db, pid).status == "scheduled"


def test_a_post_due_during_a_pause_waits_for_a_decision_after_resume(db, clock, dry):
    pid = post(db, 60)
    pause_id = pause.pause(db, ANA, "crisis breaking", clock.now)
    clock.advance(3600)
    assert pause.resume(db, BEN, "statement out", clock.now, lifts=pause_id) == 1
    pub = publisher(db, clock, {"x": dry})
    assert pub.run_once() == [] and dry.sent == []
    row = status(db, pid)
    assert (row.status, row.status_reason) == ("overdue", "its time passed while publishing was paused")
    # A person decides: publish now.
    assert act(db, [pid], "publish_now", BEN, clock.now, "approved by comms lead") == 1
    assert [r.status for r in pub.run_once()] == ["published"]


def test_automatic_resume(db, clock, dry):
    pid = post(db, 7200)
    pause.pause(db, ANA, "industry tragedy", clock.now, resume_at=T0 + 3600)
    clock.advance(3600)
    pub = publisher(db, clock, {"x": dry})
    assert pub.run_once() == []
    assert not pause.state(db).paused
    clock.advance(3600)
    assert [r.post_id for r in pub.run_once()] == [pid]
    assert "publishing.resume" in set(recent(db)["action"])


def test_held_posts_are_not_published_and_resume_to_overdue_when_late(db, clock, dry):
    early, late = post(db, 60), post(db, 7200)
    assert act(db, [early, late], "hold", ANA, clock.now, "tone-deaf now") == 2
    clock.advance(120)
    assert publisher(db, clock, {"x": dry}).run_once() == []
    assert act(db, [early, late], "resume", ANA, clock.now) == 2
    assert status(db, early).status == "overdue" and status(db, late).status == "scheduled"


def test_a_publisher_killed_after_claiming_never_sends_twice(db, clock, dry):
    pid = post(db, 0)
    first = publisher(db, clock, {"x": dry}, owner="dies")
    assert [p.id for p in first.claim()] == [pid]  # claimed, then the process dies
    restarted = publisher(db, clock, {"x": dry}, owner="restarted")
    assert restarted.run_once() == []
    clock.advance(301)
    assert restarted.run_once() == []
    row = status(db, pid)
    assert row.status == "failed" and row.status_reason.startswith("outcome unknown")
    assert dry.sent == []


def test_a_runner_that_was_down_does_not_publish_long_missed_posts(db, clock, dry):
    pid = post(db, 60)
    clock.advance(3600)
    assert publisher(db, clock, {"x": dry}).run_once() == []
    assert status(db, pid).status == "overdue"


def test_invalid_posts_and_transitions():
    with pytest.raises(PostError, match="at most 280"):
        NewPost("x", "x" * 281, at(0), "a").check()
    with pytest.raises(PostError, match="target channel"):
        NewPost("slack", "hi", at(0), "a").check()
    with pytest.raises(PostError, match="time zone"):
        NewPost("x", "hi", datetime(2026, 1, 1), "a").check()


def test_published_posts_cannot_be_changed(db, clock, dry):
    pid = post(db, 0)
    publisher(db, clock, {"x": dry}).run_once()
    assert act(db, [pid], "hold", ANA, clock.now) == 0
    with pytest.raises(PostError, match="no longer be edited"):
        edit(db, pid, ANA, clock.now, text="new", link="", scheduled_at=at(600))


def test_edit_reschedules_an_overdue_post_and_is_audited(db, clock, dry):
    pid = post(db, 60)
    clock.advance(3600)
    publisher(db, clock, {"x": dry}).run_once()
    assert status(db, pid).status == "overdue"
    edit(db, pid, ANA, clock.now, text="Softer words", link="", scheduled_at=at(7200))
    assert status(db, pid).status == "scheduled"
    log = recent(db)
    assert list(log["action"][:1]) == ["post.edit"] and log["who"].iloc[0] == "ana"


CSV_OK = """channel,text,scheduled_at,timezone,target,link
x,Our new cam is here,2027-06-10 09:00,Europe/Amsterdam,,https://tidewell.example/cam
slack,Town hall at 4pm,2027-06-10T15:00:00+00:00,,#general,
"""


def test_csv_import_all_rows(db, clock):
    assert import_csv(db, CSV_OK, "UTC", ANA, clock.now) == 2
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(sp.c.channel, sp.c.scheduled_at, sp.c.target, sp.c.origin).order_by(sp.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("x", int(datetime(2027, 6, 10, 7, 0, tzinfo=timezone.utc).timestamp()), "", "csv"),
        ("slack", int(datetime(2027, 6, 10, 15, 0, tzinfo=timezone.utc).timestamp()), "#general", "csv"),
    ]


def test_csv_import_rejects_bad_rows_by_line_and_imports_nothing(db, clock):
    bad = CSV_OK + "fax,hello,2027-06-10 09:00,,,\nx,late,2020-01-01 09:00,,,\nx,when,soonish,Mars/Base,,\n"
    with pytest.raises(CsvImportError) as err:
        import_csv(db, bad, "UTC", ANA, clock.now)
    assert err.value.problems == [
        "line 4: channel must be one of ('x', 'slack'), got 'fax'",
        "line 5: scheduled_at: 2020-01-01 09:00 is in the past",
        "line 6: timezone: unknown time zone 'Mars/Base'",
    ]
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sp)).scalar() == 0
    with pytest.raises(CsvImportError, match="missing column 'scheduled_at'"):
        import_csv(db, "channel,text\nx,hi\n", "UTC", ANA, clock.now)


@pytest.fixture
def fake_x():
    fake = FakeX()
    yield fake
    fake.close()


def x_channel(fake_x):
    client = tweepy.Client(consumer_key="ck", consumer_secret="cs", access_token="at", access_token_secret="ats")
    fake_x.attach(client)
    return XChannel(client)


def test_publishing_to_x_through_tweepy(db, clock, fake_x):
    pid = post(db, 0, text="Hello from Tidewell")
    [result] = publisher(db, clock, {"x": x_channel(fake_x)}).run_once()
    assert result.status == "published" and result.detail == "1001"
    [request] = fake_x.requests
    assert (request["method"], request["path"], request["body"]) == (
        "POST",
        "/2/tweets",
        {"text": "Hello from Tidewell"},
    )
    assert request["auth"].startswith("OAuth ")  # signed by tweepy with the user's keys
    assert status(db, pid).status == "published"


@pytest.mark.parametrize(
    "reply, reason",
    [
        (
            (
                403,
                {},
                {"title": "Forbidden", "detail": "duplicate content", "errors": [{"message": "duplicate content"}]},
            ),
            "X refused the post (HTTP 403): duplicate content",
        ),
        ((429, {"x-rate-limit-reset": "1"}, {"title": "Too Many Requests"}), "X rate limit reached (429)"),
        ((200, {}, {"unexpected": True}), "X answered without a post id"),
    ],
)
def test_x_failures_are_recorded(db, clock, fake_x, reply, reason):
    pid = post(db, 0)
    fake_x.script.append(reply)
    [result] = publisher(db, clock, {"x": x_channel(fake_x)}).run_once()
    assert (result.status, result.detail) == ("failed", reason)
    assert tuple(status(db, pid)) == ("failed", reason)


def test_publishing_to_slack_and_its_failures(db, clock):
    slack = FakeSlack()
    try:
        from crisis.notify import slack_client

        channel = SlackChannel(slack_client("xoxb-test", slack.base_url, timeout_s=5))
        ok = post(db, 0, text="Town hall at 4", channel="slack", target="#general")
        bad = post(db, 0, text="Oops", channel="slack", target="#nowhere")
        slack.script.extend(
            [(200, {}, {"ok": True, "ts": "171.5"}), (200, {}, {"ok": False, "error": "channel_not_found"})]
        )
        results = {r.post_id: r for r in publisher(db, clock, {"slack": channel}).run_once()}
        assert results[ok].status == "published" and results[ok].detail == "171.5"
        assert (results[bad].status, results[bad].detail) == ("failed", "Slack said channel_not_found (HTTP 200)")
        assert [r["body"]["channel"] for r in slack.posts()] == ["#general", "#nowhere"]
    finally:
        slack.close()


def test_a_channel_that_is_not_configured_fails_with_the_reason(db, clock):
    pid = post(db, 0)
    publisher(db, clock, {}).run_once()
    assert tuple(status(db, pid)) == ("failed", "no x channel is configured")


def test_pause_needs_a_reason_and_a_future_resume(db, clock):
    with pytest.raises(ValueError, match="reason"):
        pause.pause(db, ANA, "  ", clock.now)
    with pytest.raises(ValueError, match="future"):
        pause.pause(db, ANA, "x", clock.now, resume_at=clock.now - 1)
    pause.pause(db, ANA, "tragedy in the industry", clock.now)
    state = pause.state(db)
    assert (state.paused, state.by, state.reason) == (True, "ana", "tragedy in the industry")
    entry = recent(db).iloc[0]
    assert (entry["who"], entry["action"], entry["reason"]) == ("ana", "publishing.pause", "tragedy in the industry")


def test_time_helpers_are_sane():
    assert at(60) - at(0) == timedelta(seconds=60)
