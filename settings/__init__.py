"""Crisis Desk settings: config.toml, validated at start-up.

`load_settings()` reads the file named by CRISISDESK_CONFIG (default
config.toml beside app.py) and returns a `Settings`; anything wrong in it
raises `ConfigError` naming the file, the key and what is expected.
"""

from settings.load import ConfigError, config_path, load_settings
from settings.schema import Settings

__all__ = ["ConfigError", "Settings", "config_path", "load_settings"]
