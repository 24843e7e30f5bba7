"""The wall display in a real browser: Debian chromium, 1920x1080, live."""

import re

from tests.browser import ARTIFACTS, browser_page, require_chromium, streamlit_server


def test_wall_display_is_live_in_a_real_browser(drill_config, tmp_path):
    require_chromium()
    # The in-app runner plays the bundled scenario, as `streamlit run app.py` does.
    path, _ = drill_config("[wall]\nrefresh_s = 2\n", in_app=True)
    with streamlit_server(path, tmp_path / "streamlit.log") as url, browser_page() as page:
        # The wall TV's first request after a server start is the wall URL itself.
        page.goto(url + "/wall?view=wall")
        banner = page.get_by_text("DRILL - scenario data")
        banner.wait_for(timeout=60_000)
        page.get_by_text("Live · updated").wait_for(timeout=60_000)
        page.locator(".vega-embed").nth(2).wait_for(timeout=60_000)  # all three charts drawn (slow under load)
        assert page.locator(".vega-embed").count() == 3
        level = page.locator('[data-testid="stAlert"]').filter(has_text="NORMAL")
        assert level.count() == 1  # the level banner (the drill has only just begun)
        assert page.get_by_role("link", name="Sentiment").count() == 0  # kiosk: no navigation
        assert page.locator('header[data-testid="stHeader"]').is_hidden()
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="DRILL - scenario data")
        assert "Tidewell camera clip leak (fictional)" in alert.inner_text()

        def updated() -> str:
            text = page.get_by_text(re.compile(r"Live · updated \d\d:\d\d:\d\d")).inner_text()
            found = re.search(r"\d\d:\d\d:\d\d", text)
            assert found, text
            return found.group(0)

        first = updated()
        page.wait_for_function(
            "first => !document.body.innerText.includes('updated ' + first)", arg=first, timeout=15_000
        )
        assert updated() > first or updated() < "00:00:10"  # advanced (or crossed midnight)
        messages = page.get_by_text(re.compile(r"^Messages, last 60 min$"))
        assert messages.count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wall.png"), full_page=True)
    assert (ARTIFACTS / "wall.png").stat().st_size > 10_000


# --- Issue 17: the wall as a kiosk, at 1080p and 4K, with every banner showing ---

# The level text must be at least 5% of the screen's height: on a 55" 1080p
# panel (0.63 mm a pixel) that is 54 px, capitals about 38 px = 24 mm, 20 arc
# minutes at 4 m, the size ergonomic standards (ISO 9241-303) prefer for reading.
LEVEL_MIN_SHARE = 0.05
# CRISIS and DRILL banners must differ in lightness (CIE L*) for people with
# deuteranopia too (Machado et al. 2009 simulation, severity 1), not only in hue.
MIN_LIGHTNESS_GAP = 25

LAYOUT = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const kinds = ['stAlert', 'stMetric', 'stTable', 'stHeading', 'stText'].map(id => [id, `[data-testid=${id}]`]);
  const tiles = [...kinds, ['chart', '.vega-embed']].flatMap(([what, selector]) =>
    [...document.querySelectorAll(selector)].map(el => { const r = el.getBoundingClientRect();
      return {what, text: el.innerText.slice(0, 40), top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }));
  const level = document.querySelector('[class*=st-key-wall-level-] p');
  const bg = key => getComputedStyle(
    document.querySelector(`.st-key-${key} [data-testid=stAlertContainer]`)).backgroundColor;
  return {width: innerWidth, height: innerHeight, tiles,
          scroll: [document.scrollingElement.scrollHeight, main.scrollHeight, main.clientHeight],
          levelFont: parseFloat(getComputedStyle(level).fontSize), levelText: level.innerText,
          crisis: bg('wall-level-crisis'), drill: bg('banner-drill')};
}"""


def lightness(rgb: str, deuteranopia: bool = False) -> float:
    """CIE L* of a CSS rgb() colour, optionally as seen with deuteranopia."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    if deuteranopia:  # Machado, Oliveira & Fernandes (2009), deuteranomaly severity 1.0
        m = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))
        lin = [min(1.0, max(0.0, sum(k * c for k, c in zip(row, lin)))) for row in m]
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 116 * (y ** (1 / 3) if y > 0.008856 else 7.787 * y + 16 / 116) - 16


def test_the_wall_fits_one_screen_at_1080p_and_4k_with_every_banner(drill_config, tmp_path):
    require_chromium()
    from tests.wall_scene import stage

    path, settings = drill_config("poll_interval_s = 60\n[wall]\nrefresh_s = 30\n")
    stage(settings, 26)  # CRISIS, DRILL, publishing paused, a key account mentioned, a hold proposal waiting
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(path, tmp_path / "streamlit.log") as url:
        for width, height in [(1920, 1080), (3840, 2160)]:
            with browser_page(width, height) as page:
                page.goto(url + "/wall?view=wall")
                page.get_by_text(re.compile(r"^CRISIS since \d\d:\d\d")).wait_for(timeout=120_000)
                for banner in (
                    "DRILL - scenario data",
                    "ALL PUBLISHING PAUSED",
                    "Key accounts mentioned",
                    "HOLD PROPOSAL WAITING",
                ):
                    page.get_by_text(banner).first.wait_for(timeout=30_000)
                page.locator(".vega-embed canvas, .vega-embed svg").nth(2).wait_for(timeout=60_000)
                page.get_by_text("Sources", exact=True).wait_for(timeout=30_000)
                page.wait_for_timeout(1500)  # the charts' last drawing
                page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}.png"))
                found = page.evaluate(LAYOUT)
                where = f"{width}x{height}"
                # One screen, no scrolling: neither the document nor Streamlit's own scroll box.
                assert found["scroll"][0] <= height and found["scroll"][1] <= found["scroll"][2] + 1, (
                    where,
                    found["scroll"],
                )
                outside = [
                    t for t in found["tiles"] if t["bottom"] > height + 1 or t["right"] > width + 1 or t["top"] < 0
                ]
                assert not outside, (where, outside)
                texts = " ".join(t["text"] for t in found["tiles"])
                for tile in ("Widest-reaching negative posts", "Latest messages", "Crisis FAQ", "Alerts", "Sources"):
                    assert tile in texts, (where, tile)
                assert len([t for t in found["tiles"] if t["what"] == "stMetric"]) == 4
                assert len([t for t in found["tiles"] if t["what"] == "chart"]) == 3
                # Filled: the lowest tile ends in the bottom fifth of the screen (no empty bottom third at 4K).
                assert max(t["bottom"] for t in found["tiles"]) > 0.8 * height, where
                # The level, readable across the room, with since when and for how long.
                assert found["levelFont"] >= LEVEL_MIN_SHARE * height, (where, found["levelFont"])
                assert re.match(r"CRISIS since \d\d:\d\d UTC · \d+ (s|min)", found["levelText"]), found["levelText"]
                # CRISIS and DRILL differ in lightness, also for deuteranopia.
                for simulated in (False, True):
                    gap = abs(lightness(found["crisis"], simulated) - lightness(found["drill"], simulated))
                    assert gap >= MIN_LIGHTNESS_GAP, (where, simulated, found["crisis"], found["drill"], gap)
                # No zero delta dressed as news, no "Posts held 0" beside ALL PAUSED.
                body = page.evaluate("() => document.body.innerText")
                assert "+0 pts" not in body and "Posts held" not in body
                assert "Local mode" not in body  # the TV shows the picture, not who is looking
                assert "no runner has reported" not in body and "not available:" not in body
    for size in ("1920x1080", "3840x2160"):
        assert (ARTIFACTS / f"wall-{size}.png").stat().st_size > 50_000
