"""The interface every sentiment engine implements.

An engine turns a batch of texts into one `Score` per text: a label
(negative / neutral / positive) and a score in [-1, 1]. Its `name` and
`version` are stored with every message it scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

LABELS = ("negative", "neutral", "positive")
# Stored instead of a label for a post in a language no engine here covers
# (sentiment.language): counted in volume, never in the negative share.
UNSCORED_LANGUAGE = "unscored: language"
STORED_LABELS = (*LABELS, UNSCORED_LANGUAGE)


@dataclass(frozen=True, slots=True)
class Score:
    label: str
    score: float
    # Who decided, when not the engine the batch was given to (e.g. a phrase
    # rule): (name, version), stored with the message instead of the engine's.
    engine: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.label not in STORED_LABELS:
            raise ValueError(f"label must be one of {STORED_LABELS}, got {self.label!r}")
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"score must lie in [-1, 1], got {self.score!r}")


class Engine(Protocol):
    name: str
    version: str

    def score(self, texts: Sequence[str]) -> list[Score]:
        """One Score per text, in order."""
        ...
