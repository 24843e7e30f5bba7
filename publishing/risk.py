"""Why a scheduled post may be wrong to send now, in words a reviewer can act on."""

from __future__ import annotations

import re
from typing import Sequence

from sentiment.engine import Engine


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)", text, re.I) is not None


def risk_flags(
    texts: Sequence[str],
    due_at: Sequence[float],
    *,
    engine: Engine | None,
    sensitive_terms: Sequence[str],
    crisis_terms: Sequence[str],
    level: str,
    now: float,
    incident_terms: Sequence[str] = (),
) -> list[list[str]]:
    """One list of reasons per post (empty: nothing found)."""
    scores = engine.score(list(texts)) if engine is not None and texts else [None] * len(texts)
    flags = []
    for text, due, score in zip(texts, due_at, scores):
        reasons = []
        if score is not None and (score.label == "negative" or score.score <= -0.3):
            reasons.append(f"negative or alarming tone (score {score.score:+.2f})")
        hits = [t for t in sensitive_terms if _has(text, t)]
        if hits:
            reasons.append("sensitive terms: " + ", ".join(repr(h) for h in hits))
        incident = [t for t in incident_terms if _has(text, t)]
        if incident:
            reasons.append("overlaps the active incident's keywords: " + ", ".join(repr(t) for t in incident))
        overlap = [t for t in crisis_terms if _has(text, t.lstrip("#@")) and t not in incident]
        if overlap and level != "normal":
            reasons.append("touches what the crisis is about: " + ", ".join(repr(t) for t in overlap))
        if level != "normal" and due - now <= 24 * 3600:
            reasons.append(f"due during an active {level}")
        flags.append(reasons)
    return flags
