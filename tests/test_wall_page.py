"""The wall display page (AppTest) on stores filled by the replay source."""

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from monitors.replay import ReplayMonitor
from sentiment.lexicon import VaderEngine
from tests.conftest import ROOT, write_scenario
from worker.runner import Runner
from worker.service import open_store, restart_drill

HOSTILE = (
    "![beacon](http://tracker.invalid/b.png) <img src=x onerror=alert(1)> <script>alert(1)</script> "
    "[click me](javascript:alert(1)) **bold** :red[alarm] $x^2$ \u202egnp.exe\u200b"
)


def play(settings, started_ago_s: float, scenario=None) -> None:
    """Fill the drill store as if the drill had started `started_ago_s` ago."""
    db = open_store(settings)
    restart_drill(db, settings, at_s=started_ago_s)
    monitor = ReplayMonitor(scenario or settings.scenario_path)
    assert Runner(db, [monitor], VaderEngine()).poll(monitor).status == "ok"
    db.dispose()


def run_app(config_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("CRISISDESK_CONFIG", str(config_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_wall_shows_the_bundled_drill_thirty_minutes_in(drill_config, monkeypatch):
    path, settings = drill_config()
    play(settings, started_ago_s=1800)
    at = run_app(path, monkeypatch)

    assert "DRILL - scenario data" in at.warning[0].value
    assert "Tidewell camera clip leak" in at.warning[0].value
    figures = metrics(at)
    assert int(figures["Messages, last 60 min"][0].replace(",", "")) > 300  # the crisis is on
    assert figures["Posts held"][0] == "0"
    assert figures["Staff: negative, last 24 h"][0].endswith("%")
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    titles = [spec.get("title") or spec["layer"][0]["title"] for spec in specs]
    assert titles == [
        "Messages per minute (dashed: normal)",
        "Negative share, 5-minute window (dashed: normal)",
        "By source, last 6 h",
    ]
    stories, top, latest = at.dataframe[0].value, at.dataframe[1].value, at.dataframe[2].value
    # What people are saying: stories sorted by posts, each shown by a real outside post.
    assert list(stories.columns) == ["what people are saying", "posts", "negative", "reach", "first seen", "growth"]
    assert 0 < len(stories) <= 3 and list(stories["posts"]) == sorted(stories["posts"], reverse=True)
    outside = {json.loads(line).get("text") for line in settings.scenario_path.open() if '"slack"' not in line}
    assert set(stories["what people are saying"]) <= outside
    assert list(top.columns) == ["age", "source", "author", "reach", "message"]
    assert len(top) == settings.wall.top_negative and "slack" not in set(top["source"])
    assert list(top["reach"]) == sorted(top["reach"], reverse=True)
    assert len(latest) == settings.wall.latest_messages
    assert list(latest.columns) == ["time", "source", "author", "sentiment", "message"]
    assert any("Tidewell" in text for text in latest["message"])
    assert any(t.value.startswith("drill: ok") for t in at.text)
    assert any("Live · updated" in c.value for c in at.caption)


def test_wall_numbers_match_the_scenario(drill_config, tmp_path, monkeypatch):
    lines = [
        {"offset": 0, "source": "x", "text": "A lovely, wonderful product. Great!"},  # 100 min ago
        {"offset": 10, "source": "x", "text": "Terrible awful disaster, I hate it."},  # 100 min ago
        {"offset": 3000, "source": "x", "text": "Terrible, horrible, awful. Disgusting."},  # 50 min ago
        {"offset": 4800, "source": "news", "text": "Shares fell after the terrible scandal."},  # 20 min ago
        {"offset": 5400, "source": "x", "text": "The shop opens at nine."},  # 10 min ago
        {"offset": 5400.5, "source": "x", "text": "The shop opens at ten."},  # 10 min ago
    ]
    scenario = write_scenario(tmp_path / "known.jsonl", lines)
    path, settings = drill_config(scenario=scenario)
    play(settings, started_ago_s=6000, scenario=scenario)
    figures = metrics(run_app(path, monkeypatch))
    assert figures["Messages, last 60 min"] == ("4", "+2 vs hour before")
    assert figures["Negative share, last 60 min"] == ("50%", "+0 pts vs hour before")


def test_untrusted_text_is_shown_as_plain_text(drill_config, tmp_path, monkeypatch):
    scenario = write_scenario(
        tmp_path / "hostile.jsonl",
        [{"offset": -60, "source": "x", "author": "[me](javascript:x)", "text": HOSTILE}],
    )
    path, settings = drill_config(scenario=scenario)
    play(settings, started_ago_s=10, scenario=scenario)
    at = run_app(path, monkeypatch)
    row = at.dataframe[1].value.iloc[0]  # the latest messages
    assert row["message"].startswith("![beacon](http://tracker.invalid/b.png) <img")  # as written, inert
    assert "\u202e" not in row["message"] and "\u200b" not in row["message"]  # no direction tricks
    assert row["author"] == "[me](javascript:x)"
    markdown = [el.value for el in at.markdown] + [el.value for el in at.caption] + [el.value for el in at.warning]
    assert not any("tracker.invalid" in text or "javascript" in text for text in markdown)


def test_a_malformed_scenario_stops_the_drill_and_the_page_says_so(drill_config, tmp_path, monkeypatch):
    scenario = write_scenario(tmp_path / "broken.jsonl", [{"offset": 1, "source": "x", "text": "ok"}])
    scenario.write_text(scenario.read_text() + '{"offset": 2, "source": "x", "text": "t", "reach": "many"}\n')
    path, settings = drill_config(scenario=scenario)
    db = open_store(settings)
    Runner(db, [ReplayMonitor(scenario)], VaderEngine()).run_pending()
    at = run_app(path, monkeypatch)
    assert any("has stopped and needs a person" in e.value for e in at.error)
    assert any(f"{scenario} line 3: reach" in t.value for t in at.text)
    assert any(t.value.startswith("drill: stopped") for t in at.text)


def test_waiting_for_first_poll_on_an_empty_store(drill_config, monkeypatch):
    path, _ = drill_config()
    at = run_app(path, monkeypatch)
    assert any("Waiting for the first poll" in i.value for i in at.info)
    assert metrics(at)["Messages, last 60 min"][0] == "0"


def test_stale_data_is_announced(drill_config, monkeypatch):
    path, settings = drill_config("[wall]\nrefresh_s = 5\n")
    play(settings, started_ago_s=600)
    db = open_store(settings)
    from store.schema import source_state

    with db.begin() as conn:
        conn.execute(source_state.update().values(last_success_at=time.time() - 3600))
    at = run_app(path, monkeypatch)
    assert any(e.value.startswith("STALE · no new data since") for e in at.error)


@pytest.mark.parametrize("toml", ["[runner]\nbatch_size = 0\n"])
def test_invalid_config_stops_the_app_with_its_message(tmp_path, monkeypatch, toml):
    path = tmp_path / "config.toml"
    path.write_text(toml)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert "config.toml is invalid" in at.error[0].value
    assert "[runner] batch_size" in at.code[0].value


def test_a_page_run_without_app_py_still_gets_the_frame(drill_config, monkeypatch):
    """A fresh server's first request for /wall runs pages/wall.py directly
    (Streamlit's legacy pages/ folder mode): the page draws the frame itself."""
    path, settings = drill_config()
    play(settings, started_ago_s=60)
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/wall.py").run()  # the page file alone, as on a fresh server
    assert not at.exception, at.exception
    assert len(at.warning) == 1 and "DRILL - scenario data" in at.warning[0].value  # once, not twice
    assert any(m.label == "Messages, last 60 min" for m in at.metric)


def test_posts_in_other_languages_count_in_volume_not_in_negative_share(drill_config, tmp_path, monkeypatch):
    from model.score import UNSCORED_LANGUAGE
    from sentiment.language import LanguageRoutedEngine

    lines = [
        {"offset": 5000, "source": "x", "text": "Terrible, horrible, awful. Disgusting."},
        {"offset": 5001, "source": "x", "text": "The shop opens at nine."},
        {"offset": 5002, "source": "x", "text": "Schrecklich, die Kamera ist kaputt und niemand hilft mir"},
        {"offset": 5003, "source": "x", "text": "C'est horrible, personne ne répond au téléphone depuis hier"},
    ]
    scenario = write_scenario(tmp_path / "languages.jsonl", lines)
    path, settings = drill_config(scenario=scenario)
    db = open_store(settings)
    restart_drill(db, settings, at_s=6000)
    monitor = ReplayMonitor(scenario)
    assert Runner(db, [monitor], LanguageRoutedEngine(VaderEngine(), ["en"])).poll(monitor).status == "ok"
    db.dispose()
    at = run_app(path, monkeypatch)
    figures = metrics(at)
    assert figures["Messages, last 60 min"][0] == "4"
    assert figures["Negative share, last 60 min"][0] == "50%"  # 1 of the 2 scored, not 1 of 4
    latest = next(d.value for d in at.dataframe if "sentiment" in d.value.columns)
    assert sorted(latest["sentiment"]) == sorted(["negative", "neutral", UNSCORED_LANGUAGE, UNSCORED_LANGUAGE])
