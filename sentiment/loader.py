"""Pick the engine that config.toml asks for."""

from __future__ import annotations

from sentiment.engine import Engine
from settings import Settings


def load_engine(settings: Settings) -> Engine:
    if settings.sentiment.engine == "vader":
        from sentiment.lexicon import VaderEngine

        return VaderEngine()
    raise ValueError(f"unknown sentiment engine {settings.sentiment.engine!r}")
