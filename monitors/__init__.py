"""Polling monitors: one module per source, and the runner that drives them."""

from monitors.base import Message, Monitor, NotConfigured, PollResult, RetryAt, SourceStopped

__all__ = ["Message", "Monitor", "NotConfigured", "PollResult", "RetryAt", "SourceStopped"]
