"""The five roles, lowest first. config.toml gives people roles (settings
checks them) and access decides what each role may do; both read them here,
so settings and access do not import each other."""

from typing import Literal, get_args

# What config.toml may give a person (display is the wall's token link, never a person's).
PersonRole = Literal["viewer", "editor", "lead", "admin"]
PERSON_ROLES: tuple[PersonRole, ...] = get_args(PersonRole)
ROLES = ("display", *PERSON_ROLES)
