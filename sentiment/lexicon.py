"""VADER, the rule-based lexicon engine: no model, no downloads, fast."""

from __future__ import annotations

from importlib.metadata import version
from typing import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from model.score import Score

# The thresholds VADER's authors recommend for its compound score.
NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05


class VaderEngine:
    name = "vader"

    def __init__(self) -> None:
        self.version = version("vaderSentiment")
        self._analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str]) -> list[Score]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> Score:
        compound = self._analyzer.polarity_scores(text)["compound"]
        if compound <= NEGATIVE_BELOW:
            label = "negative"
        elif compound >= POSITIVE_ABOVE:
            label = "positive"
        else:
            label = "neutral"
        return Score(label, max(-1.0, min(1.0, compound)))
