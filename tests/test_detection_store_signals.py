"""The detector on a store: a single high-reach post at night, a surge note,
and the staff channels' own internal WATCH routed to internal comms."""

from datetime import datetime, timezone

import sqlalchemy as sa

from crisis.detector import Detector, crisis_status
from crisis.presets import PRESETS
from model.message import Message
from model.score import Score
from store.connection import write
from store.ingest import store_messages
from store.schema import alerts

T0 = 1_800_000_000
SCORE = {"negative": Score("negative", -0.8), "neutral": Score("neutral", 0.0), "positive": Score("positive", 0.7)}


def put(db, rows, now):
    """rows: (offset_s, source, label, reach, author)."""
    msgs = [
        Message(src, f"m{i}-{t}", datetime.fromtimestamp(T0 + t, tz=timezone.utc), f"text {label} {i}", "", author, r)
        for i, (t, src, label, r, author) in enumerate(rows)
    ]
    with write(db) as conn:
        store_messages(conn, msgs, [SCORE[row[2]] for row in rows], ("test", "1"), T0 + now)


def calm(start_s, end_s, every_s, source="x", labels=("neutral", "positive", "neutral", "negative"), reach=300):
    return [
        (t, source, labels[i % len(labels)], reach, f"@u{i % 50}") for i, t in enumerate(range(start_s, end_s, every_s))
    ]


def test_one_very_high_reach_negative_post_raises_watch_at_night_and_says_who(db):
    put(db, calm(-4 * 3600, 0, 600), 0)  # a near-silent night: one message every 10 minutes
    detector = Detector(db, PRESETS["medium"])
    detector.evaluate(T0 + 60)
    assert crisis_status(db)["level"] == "normal"
    put(db, [(70, "x", "negative", 480_000, "@loud_voice")], 80)
    change = detector.evaluate(T0 + 120)
    status = crisis_status(db)
    assert change is not None and status["level"] == "watch"
    assert "@loud_voice, 480k followers, negative" in status["summary"]
    assert status["explanation"]["hold_proposal"] == []


def test_a_positive_surge_is_a_note_not_a_level(db):
    put(db, calm(-4 * 3600, 0, 30), 0)
    detector = Detector(db, PRESETS["medium"])
    detector.evaluate(T0 + 60)
    surge = [(60 + i, "x", ("positive", "positive", "neutral", "negative")[i % 4], 300, f"@fan{i}") for i in range(60)]
    put(db, surge, 130)
    detector.evaluate(T0 + 180)
    status = crisis_status(db)
    assert status["level"] == "normal"
    assert status["explanation"]["surge"]["factor"] > 5
    assert "Surge:" in status["summary"] and "Not a crisis" in status["summary"]


def test_staff_turning_negative_raises_an_internal_watch_for_internal_comms_only(db):
    put(db, calm(-4 * 3600, 0, 120) + calm(-4 * 3600, 0, 180, source="slack", reach=0), 0)
    detector = Detector(db, PRESETS["medium"])
    for minute in range(1, 11):
        staff = [(minute * 60 - 60 + s, "slack", "negative", 0, f"U{minute}{s}") for s in range(0, 60, 20)]
        put(db, staff, minute * 60)
        detector.evaluate(T0 + minute * 60 + 1)
    status = crisis_status(db)
    assert status["level"] == "normal", "staff mood is not the public level"
    internal = status["internal"]
    assert internal["level"] == "watch" and internal["route"] == "internal comms"
    assert internal["negative_share"] > 0.8 and internal["expected_negative_share"] < 0.4
    with db.connect() as conn:
        rows = conn.execute(sa.select(alerts.c.kind, alerts.c.audience, alerts.c.new_level)).all()
    assert [(r.kind, r.audience, r.new_level) for r in rows] == [("internal", "internal_comms", 1)]


def test_the_series_cache_sees_a_backfill_of_old_minutes_at_once(db):
    from crisis.series import SeriesCache

    cache = SeriesCache()
    put(db, calm(-3600, 0, 60), 0)
    first = cache.load(db, T0 + 60, 600)
    assert first.total["total"].sum() == 60
    put(db, calm(-5 * 3600, -4 * 3600, 60), 61)  # a drill's backfill: hours older than anything re-read per poll
    again = cache.load(db, T0 + 120, 600)
    assert again.total["total"].sum() == 120


def test_two_big_voices_and_everyone_turning_negative_at_night_is_a_crisis(db):
    """At night min_rate keeps volume from counting; two high-reach negative voices and a full
    negative turn of the few others are a crisis. One voice with the same turn stays watch."""
    put(db, calm(-4 * 3600, 0, 600), 0)  # a near-silent night
    detector = Detector(db, PRESETS["medium"])
    detector.evaluate(T0 + 60)
    put(db, [(70, "x", "negative", 480_000, "@loud_voice")], 80)
    detector.evaluate(T0 + 120)
    replies = [(130 + 20 * i, "x", "negative", 150, f"@reply{i}") for i in range(8)]
    put(db, replies, 300)
    for t in (180, 240, 300):
        detector.evaluate(T0 + t)
    assert crisis_status(db)["level"] == "watch"  # one voice, however negative the replies
    put(db, [(330, "x", "negative", 250_000, "@second_voice")], 340)
    levels = []
    for t in (360, 420):
        detector.evaluate(T0 + t)
        levels.append(crisis_status(db)["level"])
    assert levels[-1] == "crisis", levels
    assert "high-impact voices and a negative turn among everyone" in crisis_status(db)["explanation"]["reasons"]


def test_one_negative_voice_with_neutral_big_accounts_around_it_stays_watch(db):
    """Night-707's first ten minutes: one high-reach negative post, then a high-reach neutral
    question and an outlet's headline the engine reads as neutral, and two small complaints.
    Only one voice is negative: watch, not crisis (neutral attention is not a second voice)."""
    put(db, calm(-4 * 3600, 0, 600), 0)  # a near-silent night
    detector = Detector(db, PRESETS["medium"])
    detector.evaluate(T0 + 60)
    put(db, [(70, "x", "negative", 180_000, "@loud_voice")], 80)
    detector.evaluate(T0 + 120)
    assert crisis_status(db)["level"] == "watch"
    put(db, [(130, "x", "neutral", 270_000, "@asks_if_affected"), (420, "news", "neutral", 540_000, "Newsline")], 430)
    put(db, [(480, "x", "negative", 400, "@small1"), (600, "x", "negative", 160, "@small2")], 610)
    for t in range(180, 661, 60):
        detector.evaluate(T0 + t)
        assert crisis_status(db)["level"] == "watch", t
    assert [p["author"] for p in crisis_status(db)["explanation"]["impact"]] == ["@loud_voice"]
