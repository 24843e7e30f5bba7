"""One alert's words for every channel: the same explanation as Slack's
(crisis.notify.blocks_for), as plain text, HTML, an Adaptive Card and JSON.

Text from outside (posts, authors, terms) stays inert everywhere: escaped in
HTML, Markdown-escaped in the card (Adaptive Card TextBlocks render a
Markdown subset), plain strings in JSON.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

from crisis.levels import LEVELS
from safety.text import sanitise

COLORS = {"normal": "Good", "watch": "Warning", "crisis": "Attention"}
WORD_JOINER = "\u2060"  # keeps Teams from turning an escaped address into a link


@dataclass
class AlertContent:
    alert_id: int
    kind: str  # level, digest, brief
    level: str
    title: str
    lines: list[str] = field(default_factory=list)
    ack_url: str = ""  # the person on duty's signed acknowledge link
    paged: str = ""  # who is paged (on duty), when this copy goes to one person
    drill: bool = False  # exercise data: the title says DRILL first, and the JSON says drill

    @classmethod
    def from_alert(
        cls, row, on_duty: list[str] | None = None, key_accounts: list[str] | None = None, *, drill: bool = False
    ):
        """`drill`: the alert comes from a drill, and says DRILL first (title, subject, first line)."""
        from crisis.notify import blocks_for

        blocks = blocks_for(row, on_duty, key_accounts, drill=drill)
        title, lines = "", []
        for block in blocks:
            if block["type"] == "header":
                title = block["text"]["text"]
            elif block["type"] == "section" and "text" in block:
                lines.append(block["text"]["text"])
            elif block["type"] == "section":
                lines += [f["text"] for f in block.get("fields", [])]
            elif block["type"] == "context":
                lines += [e["text"] for e in block.get("elements", [])]
        if row.kind == "brief":
            from crisis.brief import DRILL_MARK

            title = f"Executive brief: {LEVELS[row.new_level].upper()} ({row.reason.removeprefix('brief ')})"
            if drill or row.summary.startswith(DRILL_MARK):
                title = f"DRILL - {title}"
        lines = [line for line in lines if line.strip()]
        return cls(row.id, row.kind, LEVELS[row.new_level], title, lines, drill=drill or title.startswith("DRILL"))

    @property
    def subject(self) -> str:
        return f"[Crisis Desk] {self.title}"[:200]

    def text(self) -> str:
        parts = [self.title, "", *self.lines]
        if self.paged:
            parts += ["", f"You are paged as the person on duty ({self.paged})."]
        if self.ack_url:
            parts += ["", f"Acknowledge: {self.ack_url}"]
        return "\n".join(parts) + "\n"

    def html(self) -> str:
        items = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines)
        paged = f"<p><b>You are paged as the person on duty ({html.escape(self.paged)}).</b></p>" if self.paged else ""
        ack = (
            f'<p><a href="{html.escape(self.ack_url, quote=True)}">Acknowledge this alert</a></p>'
            if self.ack_url
            else ""
        )
        return f"<html><body><h2>{html.escape(self.title)}</h2>{items}{paged}{ack}</body></html>"

    def card(self) -> dict:
        """A Teams message with one Adaptive Card (incoming webhooks and Workflows take this shape)."""
        body = [
            {
                "type": "TextBlock",
                "text": _inert(self.title),
                "weight": "Bolder",
                "size": "Large",
                "wrap": True,
                "color": COLORS.get(self.level, "Default"),
            }
        ]
        body += [{"type": "TextBlock", "text": _inert(line), "wrap": True} for line in self.lines]
        if self.paged:
            body.append({"type": "TextBlock", "text": _inert(f"Paged: {self.paged} (on duty)"), "wrap": True})
        content = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
        }
        if self.ack_url:
            content["actions"] = [{"type": "Action.OpenUrl", "title": "Acknowledge", "url": self.ack_url}]
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}
            ],
        }

    def json(self) -> bytes:
        return json.dumps(
            {
                "alert_id": self.alert_id,
                "kind": self.kind,
                "level": self.level,
                "drill": self.drill,
                "title": self.title,
                "lines": self.lines,
                "paged": self.paged or None,
                "acknowledge_url": self.ack_url or None,
            },
            ensure_ascii=False,
        ).encode()


# Adaptive Cards speak a small CommonMark subset with no Streamlit directives, so
# the pages' escaper (which also escapes ":" for Streamlit) would show its
# backslashes here: cards get CommonMark's own escapes.
_CARD_SPECIALS = frozenset("\\`*_{}[]()#+-.!|<>~")


def _inert(text: str) -> str:
    """Markdown-escaped, with a word joiner where Teams would start a link (a scheme, www, an address)."""
    escaped = "".join("\\" + ch if ch in _CARD_SPECIALS else ch for ch in sanitise(text, None))
    escaped = escaped.replace("://", ":" + WORD_JOINER + "//").replace("www", "w" + WORD_JOINER + "ww")
    return escaped.replace("@", "@" + WORD_JOINER)
