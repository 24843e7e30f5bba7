"""Read and validate config.toml; turn every problem into one clear message."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from settings.schema import ROOT, Settings

CONFIG_ENV = "CRISISDESK_CONFIG"


class ConfigError(Exception):
    """config.toml is missing, unreadable or holds a value of the wrong kind."""


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or ROOT / "config.toml")


def load_settings(path: Path | None = None) -> Settings:
    path = Path(path) if path is not None else config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (set {CONFIG_ENV} or create config.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None


def _describe(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "(file)"
        if err["type"] == "extra_forbidden":
            what = "unknown key (check its spelling against the documented config.toml)"
        else:
            what = err["msg"].removeprefix("Value error, ")
            # An address may carry a password or a key: never echoed into an error (a log, a page).
            if "input" in err and not isinstance(err["input"], dict) and not loc[-1].endswith("url"):
                what += f" (got {err['input']!r})"
        lines.append(f"  {key}: {what}")
    return "\n".join(lines)
