"""A sentiment score as every layer sees it: the labels a message may be
stored with, and one engine's (or rule's) verdict on one text."""

from __future__ import annotations

from dataclasses import dataclass

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
