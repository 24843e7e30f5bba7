"""The wall display page (AppTest) on stores filled by the replay source."""

import json
import re
import time
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitors.replay import ReplayMonitor
from safety.text import WORD_JOINER
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


def shown(cell: str) -> str:
    """A table cell as the browser shows it: st.table renders Markdown, so the
    wall escapes outside text (md_escape); this undoes the escapes."""
    return re.sub(r"\\(.)", r"\1", cell).replace(WORD_JOINER, "")


def tables(at) -> dict[str, pd.DataFrame]:
    """The wall's tables by their last column's title, cells as shown."""
    return {t.value.columns[-1]: t.value.map(lambda v: shown(v) if isinstance(v, str) else v) for t in at.table}


def test_wall_shows_the_bundled_drill_thirty_minutes_in(drill_config, monkeypatch):
    path, settings = drill_config("poll_interval_s = 60\n")  # [drill]: "Live", however slow this machine
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
        "By source, last 6 h (solid ▼: negative)",
    ]
    found = tables(at)
    stories, top = found["what people are saying"], found["who: what"]
    latest = found["▼ negative ▲ positive ● neutral"]
    # What people are saying: stories sorted by posts, each shown by a real outside post.
    assert list(stories.columns) == ["posts", "what people are saying"]
    assert 0 < len(stories) <= 3 and list(stories["posts"]) == sorted(stories["posts"], reverse=True)
    outside = {json.loads(line).get("text") for line in settings.scenario_path.open() if '"slack"' not in line}
    assert set(stories["what people are saying"]) <= outside
    assert list(top.columns) == ["age", "reach", "who: what"]
    reach = [int(r.replace(",", "")) for r in top["reach"]]
    assert len(top) == settings.wall.top_negative and reach == sorted(reach, reverse=True)
    assert len(latest) == settings.wall.latest_messages
    assert list(latest.columns) == ["time (UTC)", "▼ negative ▲ positive ● neutral"]
    assert any("Tidewell" in text for text in latest.iloc[:, 1])
    assert all(text[0] in "▼▲●○" for text in latest.iloc[:, 1])  # a shape beside every label, not colour alone
    assert any(t.value.startswith("✓ drill: ok") for t in at.text)
    assert any("Live · updated" in c.value for c in at.caption), [c.value for c in at.caption] + [
        e.value for e in at.error
    ]


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
    at = run_app(path, monkeypatch)
    figures = metrics(at)
    assert figures["Messages, last 60 min"] == ("4", "+2 vs hour before")
    # The same share as the hour before: no delta at all, not a red "+0 pts" arrow.
    assert figures["Negative share, last 60 min"] == ("50%", "")
    assert figures["Posts held"] == ("0", "")
    # NEW marks: nothing here is younger than [wall] new_for_min = 5 minutes.
    assert not any("NEW" in cell for t in at.table for cell in t.value.astype(str).to_numpy().ravel())


def test_recent_messages_are_marked_new(drill_config, tmp_path, monkeypatch):
    lines = [
        {"offset": 0, "source": "x", "text": "Terrible, horrible, awful. Disgusting."},  # 30 min ago
        {"offset": 1680, "source": "x", "text": "Awful, I hate this terrible company."},  # 2 min ago
    ]
    scenario = write_scenario(tmp_path / "new.jsonl", lines)
    path, settings = drill_config(scenario=scenario)
    play(settings, started_ago_s=1800, scenario=scenario)
    latest = tables(run_app(path, monkeypatch))["▼ negative ▲ positive ● neutral"]
    marks = [t.startswith("NEW · ") for t in latest["time (UTC)"]]
    assert marks == [True, False]  # newest first: the 2-minute-old one only


def test_untrusted_text_is_shown_as_plain_text(drill_config, tmp_path, monkeypatch):
    scenario = write_scenario(
        tmp_path / "hostile.jsonl",
        [{"offset": -60, "source": "x", "author": "[me](javascript:x)", "text": HOSTILE}],
    )
    path, settings = drill_config(scenario=scenario)
    play(settings, started_ago_s=10, scenario=scenario)
    at = run_app(path, monkeypatch)
    latest = next(t.value for t in at.table if "▼ negative ▲ positive ● neutral" in t.value.columns)
    cell = latest.iloc[0, 1]
    assert shown(cell)[2:].startswith("[me](javascript:x): ![beacon](http://tracker.invalid/b.png) <img")  # as written
    assert "\u202e" not in cell and "\u200b" not in cell  # no direction tricks
    # st.table renders Markdown: the cell is escaped, so it renders as the text above, never a link or image.
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"html": True}).parse(cell)
    kinds = {t.type for tok in tokens for t in [tok, *(tok.children or [])]}
    assert not kinds & {"image", "link_open", "html_inline", "html_block"}, kinds
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
    assert any(t.value.startswith("✕ drill: stopped") for t in at.text)


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


def test_a_source_that_never_succeeded_says_never(drill_config, monkeypatch):
    """Once another source has succeeded, the health table holds NaN (not None) for one that never did:
    the wall says "never", not "0 s ago"."""
    path, settings = drill_config()
    play(settings, started_ago_s=600)
    db = open_store(settings)
    from store.schema import source_state

    with db.begin() as conn:  # the drill source has succeeded; a second one has only failed so far
        conn.execute(source_state.insert().values(name="mastodon", status="error", last_error="refused"))
    at = run_app(path, monkeypatch)
    lines = {t.value.split(":")[0][2:]: t.value for t in at.text if t.value[:1] in "✓✕"}
    assert lines["mastodon"].endswith(" · never"), lines
    assert lines["drill"].endswith(" ago"), lines


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
    latest = tables(at)["▼ negative ▲ positive ● neutral"]
    assert UNSCORED_LANGUAGE  # shown as ○ (no sentiment), like "unscored"
    assert sorted(text[0] for text in latest.iloc[:, 1]) == sorted(["▼", "●", "○", "○"])


def test_level_since_and_every_banner_on_the_wall(drill_config, monkeypatch):
    from tests.wall_scene import stage

    path, settings = drill_config()
    stage(settings, 26)  # CRISIS, publishing paused, a key account mentioned
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["view"] = "wall"
    at.run()
    assert not at.exception, at.exception
    level = next(e.value for e in at.error if "CRISIS" in e.value)
    assert re.match(r"\*\*CRISIS since \d\d:\d\d UTC · (\d+ s|\d+ min)\*\*\n\n", level), level
    assert any(e.value.startswith("**ALL PUBLISHING PAUSED** by Dana") for e in at.error)
    assert any("Key accounts mentioned" in w.value for w in at.warning)
    assert any("DRILL - scenario data" in w.value for w in at.warning)
    # The hold the detector proposed waits for a person: in the same banner row.
    from publishing import proposals

    db = open_store(settings)
    proposal = proposals.pending(db)
    assert proposal is not None and proposal.origin == "detector"
    (hold,) = [w.value for w in at.warning if "HOLD PROPOSAL" in w.value]
    assert re.fullmatch(
        rf"\*\*HOLD PROPOSAL WAITING:\*\* {proposal.posts} posts, by the detector at \d\d:\d\d UTC"
        " · accept or dismiss on the Scheduled posts page",
        hold,
    ), hold
    assert at.session_state["kiosk_banners_shown"][-1] == (proposal.id, proposal.posts)
    figures = metrics(at)
    assert "Posts held" not in figures  # no "Posts held 0" beside ALL PAUSED
    waiting, delta = figures["Posts waiting (publishing paused)"]
    assert int(waiting) >= 1 and delta == ""  # the scenario's posts wait; no "ALL PAUSED" delta repeating the banner
    # No developer wording: the engine's notes are on the Sources page, the wall has a small mark.
    everything = " ".join(
        str(e.value) for kind in ("caption", "info", "error", "warning", "text") for e in at.get(kind)
    )
    assert "runner" not in everything and "not available:" not in everything
    assert any("sentiment: not scoring" in c.value for c in [*at.error, *at.caption])
    # The TV: lists cut to what fits one screen.
    assert len(tables(at)["who: what"]) <= 7 and len(tables(at)["▼ negative ▲ positive ● neutral"]) <= 7
    # Decided by a person: the wall's refresh notices and the banner goes.
    from tests.wall_scene import LEAD

    seen = proposals.open_proposal(db).version
    proposals.dismiss(db, proposal.id, LEAD, "statement approved", time.time(), seen_version=seen)
    from pages.common import banners

    assert banners.kiosk_state(SimpleNamespace(db=db))[-1] is None
    at.run()
    assert not any("HOLD PROPOSAL" in w.value for w in at.warning)
    assert at.session_state["kiosk_banners_shown"][-1] is None
    db.dispose()


@pytest.mark.parametrize(
    "extra, authors",
    [("", ["@TidewellHome", "@angry"]), ('[brand]\nown_accounts = ["tidewellhome "]\n', ["@angry"])],
    ids=["not configured", "configured"],
)
def test_the_companys_own_accounts_are_not_among_the_negative_posts(
    drill_config, tmp_path, monkeypatch, extra, authors
):
    lines = [
        {
            "offset": 100,
            "source": "x",
            "author": "@TidewellHome",
            "reach": 310000,
            "text": "Terrible leak, awful, sorry.",
        },
        {"offset": 110, "source": "x", "author": "@angry", "reach": 500, "text": "Terrible, horrible, awful company."},
    ]
    scenario = write_scenario(tmp_path / "own.jsonl", lines)
    path, settings = drill_config(extra, scenario=scenario)
    play(settings, started_ago_s=600, scenario=scenario)
    top = tables(run_app(path, monkeypatch))["who: what"]
    assert [w.split(":")[0] for w in top["who: what"]] == authors  # configured: any case, "@" optional


def test_a_drill_scenario_names_its_companys_own_accounts(drill_config, monkeypatch):
    path, settings = drill_config()
    play(settings, started_ago_s=50 * 60)  # the company's statement (45 min in) is out, and reads as negative
    top = tables(run_app(path, monkeypatch))["who: what"]
    assert not any(w.startswith("@TidewellHome") for w in top["who: what"])


@pytest.mark.parametrize("bad", ['["two words"]', '[""]', '["@"]'])
def test_own_accounts_are_validated(tmp_path, bad):
    from settings import ConfigError, load_settings
    from tests.conftest import write_config

    with pytest.raises(ConfigError, match=r"\[brand\] own_accounts"):
        load_settings(write_config(tmp_path, f"[brand]\nown_accounts = {bad}\n"))


def test_wall_words():
    from zoneinfo import ZoneInfo

    from pages.common.wall_text import delta_text, duration, level_headline, own_accounts, succeeded_at

    assert [duration(s) for s in (5, 240, 3 * 3600 + 300, 3 * 86400 + 4 * 3600)] == [
        "5 s",
        "4 min",
        "3 h 05 min",
        "3 d 4 h",
    ]
    since = 1_800_000_000 - 240  # 2027-01-15 07:56 UTC
    assert (
        level_headline("crisis", since, since + 240, ZoneInfo("Europe/Amsterdam")) == "CRISIS since 08:56 CET · 4 min"
    )
    assert level_headline("normal", None, since, ZoneInfo("UTC")) == "NORMAL"
    assert delta_text(0.4, " pts", "vs 7 days") is None and delta_text(-3, " pts", "vs 7 days") == "-3 pts vs 7 days"
    assert [succeeded_at(v) for v in (1_800_000_000.0, float("nan"), None)] == [1_800_000_000.0, None, None]
    assert own_accounts(["@TidewellHome", " tidewellhome", "x@Mastodon.Social"]) == (
        "tidewellhome",
        "x@mastodon.social",
    )
