"""Read and validate config.toml; turn every problem into one clear message."""

from __future__ import annotations

import codecs
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
        raw = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None
    _check_places(path, settings)
    return settings


def _read_text(path: Path) -> str:
    """The file's text (UTF-8, a byte order mark accepted), or a ConfigError
    that names the file and what is wrong with it."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory, not a file (name the config.toml file itself)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (set {CONFIG_ENV} or create config.toml)") from None
    except PermissionError:
        raise ConfigError(f"{path}: cannot be read: permission denied (check its owner and mode)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if data.startswith(bom):
            raise ConfigError(f"{path}: saved as {name}; TOML must be UTF-8 (save it again as UTF-8)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 (byte 0x{data[exc.start]:02X}); save it again as UTF-8"
        ) from None
    return text


def _check_places(path: Path, settings: Settings) -> None:
    """Where things go must be usable as such: named in one line each."""
    data_dir = settings.data_dir
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"{path}: [app] data_dir: {data_dir} is a file, not a directory")
    for key in ("url", "drill_url"):
        url = getattr(settings.store, key)
        if url:
            problem = store_url_problem(url)
            if problem:
                raise ConfigError(f"{path}: [store] {key}: {mask_url(url)!r}: {problem}")


def store_url_problem(url: str) -> str:
    """What is wrong with a store URL ('' if nothing), its password never shown."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return "not a database URL (expected sqlite:///path/file.sqlite3 or postgresql+psycopg://user@host:5432/db)"
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        return f"{parsed.get_backend_name()!r} is not supported (use sqlite:/// or postgresql+psycopg://)"
    return ""


def mask_url(url: str) -> str:
    """The URL as it may be shown: its password replaced by ***."""
    import re

    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string()
    except sa.exc.ArgumentError:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)


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
