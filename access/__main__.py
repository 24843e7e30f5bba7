"""Crisis Desk access: `python -m access COMMAND`.

rotate-display-token [--base-url URL]   new wall display token; prints the new link
display-link [--base-url URL]           prints the current wall display link
role EMAIL                              the role config.toml gives this address
"""

from __future__ import annotations

import argparse
import os
import sys

from access import display, policy
from settings import ConfigError, load_settings
from settings.secrets import SECRETS_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m access", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("rotate-display-token", "display-link"):
        command = commands.add_parser(name)
        command.add_argument("--base-url", default="http://localhost:8501", help="where the dashboard is served")
    commands.add_parser("role").add_argument("email")
    args = parser.parse_args(argv)

    if args.command == "role":
        try:
            settings = load_settings()
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
        role = policy.role_for(args.email, settings.access)
        print(f"{args.email}: {role or 'no role (refused)'}")
        return 0 if role else 1

    if args.command == "rotate-display-token":
        if os.environ.get(display.ENV):
            print(
                f"{display.ENV} is set and wins over {SECRETS_FILE}: change it there instead, then restart.",
                file=sys.stderr,
            )
            return 2
        token = display.rotate(SECRETS_FILE)
        print(f"New display token written to {SECRETS_FILE}; the old link stops working at its next refresh.")
    else:
        try:
            configured = display.configured_token(SECRETS_FILE)
        except display.DisplayTokenError as exc:
            print(exc, file=sys.stderr)
            return 2
        if configured is None:
            print("No display token yet: run `python -m access rotate-display-token`.", file=sys.stderr)
            return 1
        token = configured
    print(display.wall_link(args.base_url, token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
