"""The wall display's token: long and random, rotated in place in
secrets.toml (keeping the rest of the file), and the old one stops matching."""

from __future__ import annotations

import pytest

import access.__main__ as cli
from access import display


def test_rotating_writes_a_new_long_token_and_keeps_the_rest_of_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv(display.ENV, raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('# our secrets\n[slack]\nbot_token = "xoxb-1"  # the bot\n', encoding="utf-8")
    first = display.rotate(secrets)
    second = display.rotate(secrets)
    assert len(first) >= display.MIN_LENGTH and first != second
    text = secrets.read_text(encoding="utf-8")
    assert "# our secrets" in text and 'bot_token = "xoxb-1"  # the bot' in text
    assert (secrets.stat().st_mode & 0o777) == 0o600
    assert display.matches(second, secrets) and not display.matches(first, secrets)
    assert not display.matches("", secrets)


def test_no_token_matches_nothing_and_a_short_one_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv(display.ENV, raising=False)
    assert not display.matches("anything", tmp_path / "missing.toml")
    monkeypatch.setenv(display.ENV, "too-short")
    with pytest.raises(display.DisplayTokenError, match="at least 32 characters"):
        display.matches("too-short", tmp_path / "missing.toml")


def test_the_command_line_rotates_and_prints_the_wall_link(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(display.ENV, raising=False)
    monkeypatch.setattr(cli, "SECRETS_FILE", tmp_path / ".streamlit" / "secrets.toml")
    assert cli.main(["display-link"]) == 1  # none yet
    assert cli.main(["rotate-display-token", "--base-url", "https://desk.example/"]) == 0
    link = capsys.readouterr().out.strip().splitlines()[-1]
    token = display.configured_token(tmp_path / ".streamlit" / "secrets.toml")
    assert link == f"https://desk.example/wall?view=wall&token={token}"
    assert cli.main(["display-link", "--base-url", "https://desk.example"]) == 0
    assert capsys.readouterr().out.strip() == link
    monkeypatch.setenv(display.ENV, "x" * 40)
    assert cli.main(["rotate-display-token"]) == 2  # the environment would win: refuse, say why


def test_the_command_line_tells_an_addresss_role(monkeypatch, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[access.roles]\n"@tidewell.example" = "viewer"\n', encoding="utf-8")
    monkeypatch.setenv("CRISISDESK_CONFIG", str(config))
    assert cli.main(["role", "vic@tidewell.example"]) == 0
    assert capsys.readouterr().out.strip() == "vic@tidewell.example: viewer"
    assert cli.main(["role", "eve@elsewhere.example"]) == 1
