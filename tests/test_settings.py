"""config.toml: the shipped file is valid and documented; bad files stop
start-up with a message naming the file, the key and what is expected."""

import re
import tomllib

import pytest

from settings import ConfigError, Settings, load_settings
from tests.conftest import ROOT, write_config


def _documented_keys(model, path=""):
    """(kind, dotted path) for every key of the schema: tables and plain keys."""
    import typing

    from pydantic import BaseModel

    for name, field in model.model_fields.items():
        dotted = f"{path}.{name}" if path else name
        annotation = field.annotation
        args = typing.get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield "table", dotted
            yield from _documented_keys(annotation, dotted)
        elif (
            typing.get_origin(annotation) is list
            and args
            and isinstance(args[0], type)
            and issubclass(args[0], BaseModel)
        ):
            yield "array", dotted
            yield from (("key", f"{dotted}.{k}") for k in args[0].model_fields)
        elif typing.get_origin(annotation) is dict:
            yield "table", dotted
        else:
            yield "key", dotted


def test_shipped_config_is_valid_and_documents_every_key():
    settings = load_settings(ROOT / "config.toml")
    assert settings.app.mode == "drill"  # a new user gets the drill with no keys
    text = (ROOT / "config.toml").read_text()
    for kind, dotted in _documented_keys(Settings):
        if kind == "table":
            # A table of tables ([sources]) is documented through its sub-tables.
            assert f"[{dotted}]" in text or f"[{dotted}." in text, f"config.toml does not document [{dotted}]"
        elif kind == "array":
            assert f"[[{dotted}]]" in text, f"config.toml does not document [[{dotted}]]"
        else:
            key = dotted.rsplit(".", 1)[-1]
            assert re.search(rf"^#? ?{re.escape(key)} = ", text, re.M), f"config.toml does not document {dotted}"


def test_shipped_values_equal_the_defaults():
    raw = tomllib.loads((ROOT / "config.toml").read_text())
    assert Settings.model_validate(raw) == Settings()


@pytest.mark.parametrize(
    "toml, key, expected",
    [
        ("[runner]\nbatch_size = 0\n", "[runner] batch_size", "greater than or equal to 1"),
        ("[runner]\nbatch_size = 'lots'\n", "[runner] batch_size", "valid integer"),
        ("[app]\nmode = 'production'\n", "[app] mode", "'drill' or 'live'"),
        ("[app]\ntimezone = 'Mars/Olympus'\n", "[app] timezone", "unknown time zone 'Mars/Olympus'"),
        ("[wall]\nrefresh_secs = 5\n", "[wall] refresh_secs", "unknown key"),
        ("[drill]\nspeed = -1\n", "[drill] speed", "greater than 0"),
        ("[colour]\nx = 1\n", "colour", "unknown key"),
    ],
)
def test_invalid_value_names_file_key_and_expectation(tmp_path, toml, key, expected):
    path = write_config(tmp_path, toml)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert str(path) in message
    assert key in message
    assert expected in message


def test_invalid_value_message_shows_what_was_given(tmp_path):
    with pytest.raises(ConfigError, match=r"got 'lots'"):
        load_settings(write_config(tmp_path, "[runner]\nbatch_size = 'lots'\n"))


def test_phrase_rules_are_validated(tmp_path):
    with pytest.raises(
        ConfigError, match=r"\[sentiment\] rules.war room: Input should be 'negative', 'neutral' or 'positive'"
    ):
        load_settings(write_config(tmp_path, '[sentiment.rules]\n"war room" = "calm"\n'))
    settings = load_settings(write_config(tmp_path, '[sentiment.rules]\n"war room" = "neutral"\n'))
    assert settings.sentiment.rules == {"war room": "neutral"}


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"config.toml: not valid TOML"):
        load_settings(write_config(tmp_path, "[app\nmode = 1"))
    with pytest.raises(ConfigError, match=r"nope.toml: file not found"):
        load_settings(tmp_path / "nope.toml")


def test_config_file_from_environment(tmp_path, monkeypatch):
    path = write_config(tmp_path, "[app]\ntitle = 'War room'\n")
    monkeypatch.setenv("CRISISDESK_CONFIG", str(path))
    assert load_settings().app.title == "War room"
