"""Sentiment engines behind one small interface (see sentiment.engine)."""

from sentiment.engine import LABELS, Engine, Score

__all__ = ["LABELS", "Engine", "Score"]
