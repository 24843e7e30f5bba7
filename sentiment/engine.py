"""The interface every sentiment engine implements.

An engine turns a batch of texts into one `Score` per text: a label
(negative / neutral / positive) and a score in [-1, 1]. Its `name` and
`version` are stored with every message it scored.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from model.score import Score


class Engine(Protocol):
    name: str
    version: str

    def score(self, texts: Sequence[str]) -> list[Score]:
        """One Score per text, in order."""
        ...
