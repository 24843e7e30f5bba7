"""Polling monitors: one module per source (an adapter from its API to Message), nothing else."""

from monitors.base import Message, Monitor, NotConfigured, PollResult, RetryAt, SourceStopped

__all__ = ["Message", "Monitor", "NotConfigured", "PollResult", "RetryAt", "SourceStopped"]
