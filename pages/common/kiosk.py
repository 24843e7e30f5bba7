"""The wall TV's look: static CSS written here, never outside text.

Every size comes from the viewport (vh), so the same page fills a 1080p and a
4K screen alike, and everything fits one screen without scrolling. The level
banner's text is 6.5 vh: 70 px on a 1080p screen, whose capitals (about 0.7
em, 49 px) are 31 mm tall on a 55" panel (0.63 mm a pixel) and subtend about
27 arc minutes at 4 m, above the 20-22 arc minutes that ergonomic standards
(ISO 9241-303) prefer for reading. Figures are 7 vh; tables and notes 2.1 vh
(legible at 4 m, comfortable from about 2 m).

Colours are Okabe-Ito's colour-blind-safe palette, and no state is told by
hue alone: each banner has its own icon and word, and banners that must never
be confused (CRISIS, DRILL) also differ strongly in lightness: CRISIS is dark
vermillion with white text, DRILL light yellow with diagonal stripes and black
text.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
CRISIS_BG = "#A94400"  # vermillion, darkened so white text reads at 5:1
DRILL_BG = OKABE_ITO["yellow"]

BANNER_COLOURS = {  # container key -> (background, text)
    "wall-level-crisis": (CRISIS_BG, "#FFFFFF"),
    "wall-level-watch": (OKABE_ITO["orange"], "#000000"),
    "wall-level-normal": ("#006B4E", "#FFFFFF"),  # bluish green, darkened
    "banner-drill": (DRILL_BG, "#000000"),
    "banner-paused": (OKABE_ITO["blue"], "#FFFFFF"),
    "banner-key-accounts": (OKABE_ITO["sky_blue"], "#000000"),
    "banner-hold-proposal": (OKABE_ITO["reddish_purple"], "#000000"),
}


def _banner_rules() -> str:
    rules = []
    for key, (background, text) in BANNER_COLOURS.items():
        rules.append(
            f'.st-key-{key} [data-testid="stAlertContainer"] {{background: {background} !important;'
            f" color: {text} !important;}}\n"
            f'.st-key-{key} [data-testid="stAlertContainer"] * {{color: {text} !important;}}'
        )
    return "\n".join(rules)


KIOSK_CSS = (
    """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding: 0.6vh 1.2vw 0 !important; max-width: 100% !important;}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {gap: 0.6vh !important;}
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li {font-size: clamp(13px, 2.1vh, 72px);}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  font-size: clamp(12px, 1.8vh, 60px) !important;}
[data-testid="stMain"] h3 {font-size: clamp(15px, 2.5vh, 84px) !important;
  padding: 0.2vh 0 !important; margin: 0 !important;}
[data-testid="stMain"] h3 a {display: none !important;}
[data-testid="stMetric"] {padding: 0 !important;}
[data-testid="stMetric"] > div {gap: 0 !important;}
[data-testid="stMetricLabel"] {margin: 0 !important;}
[data-testid="stMetricDelta"] {margin: 0 !important; padding: 0.1vh 0.6vw !important;}
[data-testid="stMetricLabel"] p {font-size: clamp(14px, 2.4vh, 80px) !important;}
[data-testid="stMetricLabel"] {height: auto !important; min-height: 0 !important;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p {font-size: clamp(34px, 6.5vh, 240px) !important;
  line-height: 1.05 !important;}
[data-testid="stMetricDelta"] {font-size: clamp(13px, 2.2vh, 72px) !important;}
[data-testid="stMetricDelta"] svg {width: 2.2vh !important; height: 2.2vh !important;}
[data-testid="stMetricDelta"] div {font-size: inherit !important;}
[data-testid="stAlertContainer"] {padding: 0.5vh 1vw !important; min-height: 0 !important;}
[data-testid="stAlert"] p {font-size: clamp(13px, 2.2vh, 72px) !important; line-height: 1.25 !important;
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden;}
[data-testid="stAlert"] [data-testid="stIconMaterial"] {font-size: clamp(16px, 2.8vh, 90px) !important;}
[data-testid="stText"], [data-testid="stText"] div {font-size: clamp(12px, 2vh, 66px) !important;
  line-height: 1.3 !important;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
[data-testid="stTable"] table {width: 100%; table-layout: fixed;}
[data-testid="stTable"] th, [data-testid="stTable"] td {font-size: clamp(12px, 2.1vh, 70px) !important;
  padding: 0.15vh 0.4vw !important; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  line-height: 1.25 !important;}
[data-testid="stTable"] th *, [data-testid="stTable"] td * {font-size: inherit !important; margin: 0 !important;
  white-space: nowrap !important; overflow: hidden; text-overflow: ellipsis; word-break: normal !important;}
[data-testid="stTable"] th:last-child {width: auto;}
.st-key-wall-latest [data-testid="stTable"] th:first-child {width: 30%;}
.st-key-wall-top-negative [data-testid="stTable"] th:first-child {width: 29%;}
.st-key-wall-top-negative [data-testid="stTable"] th:nth-child(2) {width: 22%;}
.st-key-wall-narratives [data-testid="stTable"] th:first-child {width: 17%;}
[class*="st-key-wall-level-"] [data-testid="stAlertContainer"] {padding: 0.8vh 1.2vw !important;}
[class*="st-key-wall-level-"] p:first-child {font-size: clamp(40px, 6.5vh, 240px) !important;
  font-weight: 800 !important;
  line-height: 1.1 !important; -webkit-line-clamp: 1;}
[class*="st-key-wall-level-"] p + p {font-size: clamp(13px, 2.1vh, 72px) !important;}
[class*="st-key-wall-level-"] [data-testid="stIconMaterial"] {font-size: clamp(40px, 6.5vh, 240px) !important;}
.st-key-banner-drill [data-testid="stAlertContainer"] {background-image:
  repeating-linear-gradient(135deg, transparent 0 1.2vh, rgba(255, 255, 255, 0.45) 1.2vh 2.4vh) !important;}
.st-key-banner-drill p strong, .st-key-banner-paused p strong, .st-key-banner-hold-proposal p strong {
  letter-spacing: 0.05em;}
/* Vega draws in pixels: the charts have fixed sizes on a 1920x1080 layout (pages/wall.py)
   and their row is zoomed with the screen's width (steps, then exactly where the browser
   can divide lengths). */
.st-key-wall-charts [data-testid="stColumn"] {overflow: hidden;}
@media (min-width: 2100px) {.st-key-wall-charts {zoom: 1.1;}}
@media (min-width: 2400px) {.st-key-wall-charts {zoom: 1.25;}}
@media (min-width: 2700px) {.st-key-wall-charts {zoom: 1.4;}}
@media (min-width: 3000px) {.st-key-wall-charts {zoom: 1.55;}}
@media (min-width: 3300px) {.st-key-wall-charts {zoom: 1.7;}}
@media (min-width: 3600px) {.st-key-wall-charts {zoom: 1.85;}}
@media (min-width: 3800px) {.st-key-wall-charts {zoom: 2;}}
@media (min-width: 5000px) {.st-key-wall-charts {zoom: 2.6;}}
@media (min-width: 7000px) {.st-key-wall-charts {zoom: 3.6;}}
@supports (zoom: calc(100vw / 1920px)) {.st-key-wall-charts {zoom: calc(100vw / 1920px);}}
.st-key-wall-bottom [data-testid="stColumn"] {overflow: hidden;}
"""
    + _banner_rules()
    + "\n</style>"
)
