"""Polling monitors: one module per source, and the runner that drives them."""

from monitors.base import Message, Monitor, PollResult, SourceStopped

__all__ = ["Message", "Monitor", "PollResult", "SourceStopped"]
