"""Phrase rules from config.toml, applied before the model.

`"war room" = "neutral"` labels every text containing the phrase "war room"
(case-insensitive, whole words) neutral, whatever the model would say. The
first rule that matches wins; rules are tried longest phrase first.
"""

from __future__ import annotations

import hashlib
import re
from typing import Mapping, Sequence

from model.score import LABELS, Score
from sentiment.engine import Engine

_POLARITY = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


class PhraseRules:
    def __init__(self, rules: Mapping[str, str]) -> None:
        for phrase, label in rules.items():
            if label not in LABELS:
                raise ValueError(f"rule {phrase!r}: label must be one of {LABELS}, got {label!r}")
            if not phrase.strip():
                raise ValueError("a rule's phrase must not be empty")
        ordered = sorted(rules.items(), key=lambda item: -len(item[0]))
        self._patterns = [
            (re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, p.split())) + r"(?!\w)", re.I), label)
            for p, label in ordered
        ]
        text = "\n".join(f"{p}={label}" for p, label in sorted(rules.items()))
        self.version = hashlib.sha256(text.encode()).hexdigest()[:10]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def match(self, text: str) -> str | None:
        for pattern, label in self._patterns:
            if pattern.search(text):
                return label
        return None


class RuledEngine:
    """An engine with phrase rules in front: matching texts never reach the model
    and are stored as scored by "rules" (with the rules' version)."""

    def __init__(self, inner: Engine, rules: PhraseRules) -> None:
        self.inner = inner
        self.rules = rules
        self.name = inner.name
        self.version = inner.version

    def score(self, texts: Sequence[str]) -> list[Score]:
        ruled = [self.rules.match(t) for t in texts]
        rest = [t for t, label in zip(texts, ruled) if label is None]
        scored = iter(self.inner.score(rest) if rest else [])
        engine = ("rules", self.rules.version)
        return [next(scored) if label is None else Score(label, _POLARITY[label], engine) for label in ruled]
