"""Sentiment engines behind one small interface (see sentiment.engine; the labels and Score are in model.score)."""
