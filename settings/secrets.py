"""Secrets: from the environment first, then .streamlit/secrets.toml.
Never from config.toml, never logged."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from settings.schema import ROOT

# Crisis Desk's own secrets file (the display token, API tokens, masking);
# CRISISDESK_SECRETS_FILE moves it (Streamlit's sign-in reads its own: --secrets.files).
SECRETS_FILE = Path(os.environ.get("CRISISDESK_SECRETS_FILE") or ROOT / ".streamlit" / "secrets.toml")


def secret(env: str, section: str, key: str, path: Path = SECRETS_FILE) -> str | None:
    """`env` if set, else `[section] key` in secrets.toml, else None."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    value = data.get(section, {}).get(key)
    return str(value) if value else None


def secret_table(section: str, name: str, path: Path = SECRETS_FILE) -> dict:
    """The `[section.name]` table of secrets.toml (e.g. `[feeds.partnerwire]`), or {}."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    table = data.get(section, {}).get(name, {})
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [{section}.{name}] must be a table")
    return table
