"""Sentiment engines behind one small interface (see sentiment.engine)."""

from sentiment.engine import LABELS, UNSCORED_LANGUAGE, Engine, Score

__all__ = ["LABELS", "UNSCORED_LANGUAGE", "Engine", "Score"]
