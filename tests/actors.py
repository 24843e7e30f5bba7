"""People the tests act as (access.roles.Actor): names as the records show them."""

from access.roles import Actor

ANA = Actor("ana", "lead")
BEN = Actor("ben", "lead")
CLEO = Actor("cleo", "lead")
EDDIE = Actor("eddie", "editor")
VIC = Actor("vic", "viewer")
