"""The executive brief as a PDF (fpdf2, pure Python): the same content as the
HTML brief, for people who forward or print it.

Text is drawn as text (never as Markdown or HTML; fpdf2's markup is off), one
clean line per outside string. A Unicode font (DejaVu Sans, where the system
has it) draws any language; without it the PDF's built-in Helvetica is used
and characters it lacks print as '?'. A drill brief says DRILL in its title,
in a bar at the top of the first page and in every page's footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from crisis.brief import DRILL_MARK, Brief, post_line
from crisis.brief_html import LEVEL_STYLE
from safety.text import one_line

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class _BriefPDF(FPDF):
    def __init__(self, brief: Brief) -> None:
        super().__init__(format="A4")
        self.brief = brief
        self.family = "Helvetica"
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("DejaVu", "", str(regular))
                self.add_font("DejaVu", "B", str(bold))
                self.family = "DejaVu"
                break
        self.set_title(self.clean(brief.title))
        self.set_creator("Crisis Desk")
        self.set_auto_page_break(True, margin=18)

    def clean(self, value: object, limit: int = 600) -> str:
        text = one_line(value, limit)
        if self.family == "Helvetica":  # the built-in font knows Latin-1 only
            text = text.replace("–", "-").replace("…", "...").replace("→", "->").replace("↑", "^").replace("↓", "v")
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "B" if self.brief.drill else "", 8)
        mark = f"{DRILL_MARK} · " if self.brief.drill else ""
        self.cell(0, 6, self.clean(f"{mark}Crisis brief · page {self.page_no()}"), align="C")


def to_pdf(brief: Brief) -> bytes:
    pdf = _BriefPDF(brief)
    pdf.add_page()
    width = pdf.epw
    if brief.drill:
        pdf.set_fill_color(91, 44, 131)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font(pdf.family, "B", 13)
        pdf.multi_cell(width, 9, pdf.clean(brief.drill_line), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_text_color(34, 34, 34)
    pdf.set_font(pdf.family, "B", 15)
    pdf.multi_cell(width, 8, pdf.clean(brief.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    colour, _shape = LEVEL_STYLE.get(brief.level, ("#444444", ""))
    pdf.set_fill_color(*_hex(colour))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(pdf.family, "B", 20)
    pdf.cell(width, 12, pdf.clean(brief.level.upper()), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(34, 34, 34)
    pdf.set_fill_color(255, 255, 255)  # tables below: no fill but their heading row's
    pdf.ln(3)
    pdf.set_font(pdf.family, "", 12)
    pdf.multi_cell(width, 6, pdf.clean(brief.headline or brief.summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font(pdf.family, "B", 12)
        pdf.cell(width, 8, pdf.clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 9)

    def table(header: Sequence[str], rows: Sequence[Sequence[object]], widths: tuple[int, ...]) -> None:
        pdf.set_font(pdf.family, "", 9)
        with pdf.table(
            col_widths=widths, text_align="LEFT", headings_style=FontFace(emphasis="BOLD", fill_color=(242, 242, 242))
        ) as grid:
            for line in [header, *rows]:
                row = grid.row()
                for value in line:
                    row.cell(pdf.clean(value))

    share = "–" if brief.negative_share_1h is None else f"{brief.negative_share_1h:.0%}"
    table(
        ["", "now"],
        [
            ["Crisis level", f"{brief.level.upper()} ({brief.trend_1h} than 1 h ago, {brief.trend_24h} than 24 h ago)"],
            ["Messages, last hour", f"{brief.messages_1h:,} (hour before: {brief.messages_prev_1h:,})"],
            ["Negative share, last hour", share],
            ["Reach of negative posts, last 24 h", f"{brief.negative_reach_24h:,}"],
        ],
        (2, 3),
    )
    heading("Top narratives, last 3 hours")
    if brief.narratives:
        table(
            list(brief.NARRATIVE_COLUMNS),
            brief.narrative_rows(),
            (9, 2, 3, 3, 2, 3),
        )
    else:
        pdf.multi_cell(width, 5, "No story has more than one post yet.", new_x="LMARGIN", new_y="NEXT")
    heading("Widest-reaching negative posts, last hour")
    for i, post in enumerate(brief.top_posts, 1):
        pdf.multi_cell(width, 5, pdf.clean(f"{i}. {post_line(post, 400)}", 500), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    if not brief.top_posts:
        pdf.multi_cell(width, 5, "None in the last hour.", new_x="LMARGIN", new_y="NEXT")
    heading("By source, last 24 h")
    table(["source", "messages", "negative"], [[s, f"{m:,}", f"{n:,}"] for s, m, n in brief.sources_24h], (2, 1, 1))
    heading("What the team is doing")
    table(["", "now"], [list(r) for r in brief.team_rows()], (2, 3))
    return bytes(pdf.output())
