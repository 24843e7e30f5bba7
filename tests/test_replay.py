"""The replay source: timing, backfill, speed, resume, and bad scenario files."""

import json
from datetime import datetime, timezone

import pytest

from monitors.base import SourceStopped
from monitors.replay import ReplayMonitor, ScenarioError, load_scenario, read_header
from sentiment.lexicon import VaderEngine
from store import queries
from tests.conftest import ROOT, write_scenario
from worker.runner import Runner

LINES = [
    {"offset": -7200, "source": "x", "text": "calm two hours ago"},
    {"offset": 0, "source": "news", "text": "at the start"},
    {"offset": 30, "source": "x", "text": "half a minute in"},
    {"kind": "marker", "offset": 60, "name": "onset"},
    {"offset": 60, "source": "slack", "channel": "#general", "author": "U1", "text": "onset"},
    {"offset": 120, "source": "x", "reach": 500, "text": "two minutes in"},
    {"kind": "scheduled_post", "offset": 600, "channel": "x", "author": "social", "text": "Big sale!"},
]


def texts(result):
    return [m.text for m in result.messages]


def test_backfill_then_messages_at_their_offsets(tmp_path, clock):
    monitor = ReplayMonitor(write_scenario(tmp_path / "s.jsonl", LINES), clock=clock)
    t0 = clock.now
    first = monitor.poll(None)
    assert texts(first) == ["calm two hours ago", "at the start"]
    assert first.messages[0].created_at == datetime.fromtimestamp(t0 - 7200, tz=timezone.utc)
    clock.advance(29.9)
    assert texts(monitor.poll(first.cursor)) == []
    clock.advance(0.1)
    second = monitor.poll(first.cursor)
    assert texts(second) == ["half a minute in"]
    assert second.messages[0].created_at == datetime.fromtimestamp(t0 + 30, tz=timezone.utc)
    clock.advance(200)
    third = monitor.poll(second.cursor)
    assert texts(third) == ["onset", "two minutes in"]
    assert third.messages[1].reach == 500
    assert monitor.finished(third.cursor)


def test_speed_compresses_the_whole_timeline(tmp_path, clock):
    monitor = ReplayMonitor(write_scenario(tmp_path / "s.jsonl", LINES), speed=2.0, clock=clock)
    t0 = clock.now
    first = monitor.poll(None)
    assert first.messages[0].created_at.timestamp() == t0 - 3600  # the past shrinks too
    clock.advance(30)
    result = monitor.poll(first.cursor)
    assert texts(result) == ["half a minute in", "onset"]
    assert [m.created_at.timestamp() for m in result.messages] == [t0 + 15, t0 + 30]


def test_ids_are_stable_so_replaying_again_stores_nothing_twice(tmp_path, clock):
    path = write_scenario(tmp_path / "s.jsonl", LINES)
    a = ReplayMonitor(path, clock=clock).poll(None)
    b = ReplayMonitor(path, clock=clock).poll(None)
    assert [m.external_id for m in a.messages] == [m.external_id for m in b.messages] == ["test:2", "test:3"]


def test_scheduled_posts_and_markers_are_read(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path / "s.jsonl", LINES))
    assert scenario.markers == {"onset": 60}
    assert [(p.offset, p.channel, p.text) for p in scenario.posts] == [(600, "x", "Big sale!")]
    assert len(scenario.messages) == 5


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        ("{not json", "line 3: not valid JSON"),
        ('["a list"]', "line 3: expected a JSON object"),
        (
            '{"offset": 5, "source": "x", "text": "t", "reach": -1}',
            "line 3: reach: Input should be greater than or equal to 0 (got -1)",
        ),
        ('{"offset": 5, "source": "x"}', "line 3: text: Field required"),
        ('{"offset": "soon", "source": "x", "text": "t"}', "line 3: offset: Input should be a valid number"),
        ('{"offset": 5, "source": "x", "text": "t", "colour": "red"}', "line 3: colour: unknown field"),
        ('{"kind": "tweet", "offset": 5}', "line 3:"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, clock, bad_line, expected):
    path = write_scenario(tmp_path / "bad.jsonl", LINES[:1])
    path.write_text(path.read_text() + bad_line + "\n")
    monitor = ReplayMonitor(path, clock=clock)
    with pytest.raises(ScenarioError) as err:
        monitor.poll(None)
    assert str(path) in str(err.value)
    assert expected in str(err.value)
    assert isinstance(err.value, SourceStopped)


def test_missing_file_and_missing_header(tmp_path, clock):
    with pytest.raises(ScenarioError, match="cannot read the scenario file"):
        ReplayMonitor(tmp_path / "none.jsonl", clock=clock).poll(None)
    path = tmp_path / "noheader.jsonl"
    path.write_text(json.dumps(LINES[0]) + "\n")
    with pytest.raises(ScenarioError, match="line 1: kind: Field required"):
        ReplayMonitor(path, clock=clock).poll(None)


def test_bad_scenario_stops_only_the_drill_source(db, tmp_path, clock):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"kind": "scenario"}\n')
    runner = Runner(db, [ReplayMonitor(path, clock=clock)], VaderEngine(), clock=clock)
    outcome = runner.poll(runner.monitors[0])
    assert outcome.status == "stopped"
    assert f"{path} line 1: name: Field required" in outcome.error
    health = queries.source_health(db)
    assert health.loc[0, "status"] == "stopped"


def test_bundled_scenario_is_valid_fictional_and_breaks_a_minute_in():
    path = ROOT / "scenarios" / "tidewell-camera-leak.jsonl"
    scenario = load_scenario(path)
    assert scenario.header.fictional and "fictional" in scenario.header.title
    assert read_header(path) == scenario.header
    assert scenario.markers["onset"] == 60
    offsets = [m.offset for _, m in scenario.messages]
    assert min(offsets) <= -5 * 3600  # hours of calm to backfill
    assert {m.source for _, m in scenario.messages} >= {"x", "news", "slack", "mastodon"}
    assert len(scenario.posts) >= 3
    calm = sum(1 for o in offsets if -3600 <= o < 0)
    crisis_hour = sum(1 for o in offsets if 60 + 1200 <= o < 60 + 1200 + 3600)
    assert crisis_hour > 5 * calm  # the onset is a real spike, not noise


def test_bundled_scenario_file_is_what_its_script_builds():
    from scenarios.build_tidewell import build

    shipped = (ROOT / "scenarios" / "tidewell-camera-leak.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in shipped] == build()


def test_drill_through_the_runner_resumes_after_restart(db, tmp_path, clock):
    path = write_scenario(tmp_path / "s.jsonl", LINES)
    runner = Runner(db, [ReplayMonitor(path, clock=clock, interval_s=5)], VaderEngine(), clock=clock)
    runner.run_pending()
    clock.advance(40)
    runner.run_pending()
    # Server restarts: a new runner and monitor; the drill keeps its start time.
    clock.advance(100)
    again = Runner(db, [ReplayMonitor(path, clock=clock, interval_s=5)], VaderEngine(), clock=clock)
    again.run_pending()
    latest = queries.latest_messages(db, 10, internal_text=True)
    assert list(latest["text"]) == ["two minutes in", "onset", "half a minute in", "at the start", "calm two hours ago"]
    t0 = clock.now - 140
    assert list(latest["created_at"]) == [int(t0 + 120), int(t0 + 60), int(t0 + 30), int(t0), int(t0 - 7200)]


def test_the_drills_scheduled_posts_come_with_the_first_poll_only(tmp_path, clock):
    monitor = ReplayMonitor(write_scenario(tmp_path / "s.jsonl", LINES), speed=2.0, clock=clock)
    first = monitor.poll(None)
    [post] = first.scheduled_posts
    assert (post.channel, post.text, post.origin) == ("x", "Big sale!", "drill")
    assert post.scheduled_at.timestamp() == clock.now + 300  # offset 600 at speed 2
    clock.advance(10)
    assert monitor.poll(first.cursor).scheduled_posts == []
