"""The executive brief as an e-mail-ready HTML page: one file that pastes into
a mail client and reads the same there (inline styles only, tables for
layout, no scripts, images, links or outside resources).

Everything that is not our own constant text goes through `_text`: sanitised
(control, bidi and zero-width characters removed) and escaped with the
standard library's HTML escaper, quotes included. A drill brief says DRILL
in its title, in a bar above everything and in its footer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from crisis.brief import Brief, post_line
from safety.text import one_line

# Colour with a shape and the word: the level still reads in grey print and for colour-blind readers.
LEVEL_STYLE = {
    "normal": ("#1f7a3a", "●"),
    "watch": ("#9a6700", "▲"),
    "crisis": ("#b42318", "■"),
}
FONT = "font-family:Arial,Helvetica,sans-serif;"
CELL = "padding:6px 8px;border-bottom:1px solid #ddd;vertical-align:top;text-align:left;"


def _text(value: object, limit: int = 600) -> str:
    """Outside text for HTML: one clean line, every special character escaped."""
    return html.escape(one_line(value, limit), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f'<th style="{CELL}background:#f2f2f2;">{_text(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="{CELL}">{_text(c)}</td>' for c in row) + "</tr>" for row in rows)
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;width:100%;{FONT}font-size:14px;">'
        f"<tr>{head}</tr>{body}</table>"
    )


def _heading(text: str) -> str:
    return f'<h2 style="{FONT}font-size:17px;margin:22px 0 6px;color:#222;">{_text(text)}</h2>'


def _drill_bar(brief: Brief) -> str:
    if not brief.drill:
        return ""
    return (
        f'<div style="{FONT}background:#5b2c83;color:#ffffff;font-size:18px;font-weight:bold;'
        f'padding:10px 14px;margin:0 0 12px;letter-spacing:1px;">{_text(brief.drill_line)}</div>'
    )


def to_html(brief: Brief) -> str:
    colour, shape = LEVEL_STYLE.get(brief.level, ("#444444", "●"))
    share = "–" if brief.negative_share_1h is None else f"{brief.negative_share_1h:.0%}"
    figures = [
        ["Crisis level", f"{brief.level.upper()} ({brief.trend_1h} than 1 h ago, {brief.trend_24h} than 24 h ago)"],
        ["Messages, last hour", f"{brief.messages_1h:,} (hour before: {brief.messages_prev_1h:,})"],
        ["Negative share, last hour", share],
        ["Reach of negative posts, last 24 h", f"{brief.negative_reach_24h:,}"],
    ]
    narratives = brief.narrative_rows()
    posts = (
        "".join(f'<li style="margin:0 0 8px;">{_text(post_line(p, 400), 500)}</li>' for p in brief.top_posts)
        or "<li>none in the last hour</li>"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_text(brief.title)}</title></head>",
        f'<body style="margin:0;padding:16px;background:#ffffff;color:#222;{FONT}">',
        '<div style="max-width:720px;margin:0 auto;">',
        _drill_bar(brief),
        f'<h1 style="{FONT}font-size:20px;margin:0 0 10px;">{_text(brief.title)}</h1>',
        f'<div style="{FONT}background:{colour};color:#ffffff;font-size:28px;font-weight:bold;'
        f'padding:10px 14px;">{shape} {_text(brief.level.upper())}</div>',
        f'<p style="{FONT}font-size:17px;line-height:1.4;margin:12px 0;">{_text(brief.headline or brief.summary)}</p>',
        _table(["", "now"], figures),
        _heading("Top narratives, last 3 hours"),
        _table(list(brief.NARRATIVE_COLUMNS), narratives)
        if narratives
        else f'<p style="{FONT}">No story has more than one post yet.</p>',
        _heading("Widest-reaching negative posts, last hour"),
        f'<ol style="{FONT}font-size:14px;padding-left:22px;">{posts}</ol>',
        _heading("By source, last 24 h"),
        _table(["source", "messages", "negative"], [[s, f"{m:,}", f"{n:,}"] for s, m, n in brief.sources_24h]),
        _heading("What the team is doing"),
        _table(["", "now"], [list(r) for r in brief.team_rows()]),
        f'<p style="{FONT}font-size:12px;color:#666;margin-top:20px;">'
        + (f"{_text(brief.drill_line)}. " if brief.drill else "")
        + f"Times in {_text(brief.zone)}. Sent from Crisis Desk.</p>",
        "</div></body></html>",
    ]
    return "\n".join(p for p in parts if p)
