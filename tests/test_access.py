"""Every action refuses a role below the one it needs, by calling the action
itself (not by looking for a button), and changes nothing when it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from access import policy, service
from access.roles import Actor, NotAllowed, Permission, require
from crisis import feedback
from crisis.detector import Detector
from crisis.presets import PRESETS
from incidents import faq, key_accounts, team
from model.roles import PERSON_ROLES, ROLES
from model.score import Score
from publishing import pause, posts, proposals
from publishing.csv_import import import_csv
from sentiment.lexicon import VaderEngine
from sentiment.rescore import rescore_recent
from settings.schema import AccessSettings
from store.connection import write
from store.ingest import store_messages
from store.schema import alerts, audit_log, drill_log
from tests.conftest import message
from worker.service import start_drill

T = 1_800_000_000.0
ADMIN = Actor("root", "admin")


@dataclass
class World:
    post: int
    message: int
    incident: int
    fact: int
    entry: int  # approved
    draft: int
    held: int
    member: int
    proposal: int  # an open proposal to hold `post`


class FakeSlackClient:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def chat_postMessage(self, **kwargs):  # noqa: N802 (slack-sdk's name)
        self.sent.append(kwargs)


def build_world(db) -> World:
    when = datetime.fromtimestamp(T + 3600, tz=timezone.utc)
    post = posts.create(db, posts.NewPost("x", "Our winter sale", when, "social"), ADMIN, T)
    with write(db) as conn:
        store_messages(conn, [message("m1", "the app leaks", at=T - 60)], [Score("negative", 0.9)], ("t", "1"), T)
        message_id = conn.execute(sa.text("SELECT id FROM messages")).scalar_one()
    incident = faq.declare(db, "Leak", "Clips exposed", ["leak"], ADMIN, T)
    fact = faq.add_fact(db, incident, T, "Bucket closed", "eng", True, ADMIN, T)
    entry = faq.add_entry(db, incident, "Were clips exposed?", "Some, in January.", "Ben", ADMIN, T)
    faq.approve(db, entry, ADMIN, T)
    draft = faq.add_entry(db, incident, "Refunds?", "Being decided.", "Ben", ADMIN, T)
    faq.resolve(db, incident, ADMIN, T)  # so that declaring a new one is possible
    held = posts.create(db, posts.NewPost("x", "Product launch", when, "social"), ADMIN, T)
    posts.act(db, [held], "hold", ADMIN, T)
    member = team.add_member(db, "Ana", "lead", "", ADMIN, T)
    with write(db) as conn:
        proposal, _ = proposals.propose_in(
            conn, level=2, crisis_since=T, now=T, by="detector", origin="detector", trigger="CRISIS"
        )
    assert proposal is not None, "the crisis level proposed holding the post"
    return World(post, message_id, incident, fact, entry, draft, held, member, proposal)


CSV = "channel,text,scheduled_at\nx,Hello,2030-01-01 09:00\n"


def resume_a_pause(db, by):
    """Resume needs a pause in force (and names it); a refused role changes nothing, the pause included."""
    require(by, Permission.RESUME_PUBLISHING)
    return pause.resume(db, by, "over", T, lifts=pause.pause(db, Actor("lee", "lead"), "crisis", T))


CASES = {
    "create a post": (
        Permission.EDIT_POSTS,
        lambda db, w, by: posts.create(
            db, posts.NewPost("x", "New", datetime.fromtimestamp(T + 7200, tz=timezone.utc), by.name), by, T
        ),
    ),
    "hold a post": (Permission.EDIT_POSTS, lambda db, w, by: posts.act(db, [w.post], "hold", by, T)),
    "delete a post": (Permission.EDIT_POSTS, lambda db, w, by: posts.act(db, [w.post], "delete", by, T)),
    "publish a post now": (Permission.PUBLISH_NOW, lambda db, w, by: posts.act(db, [w.held], "publish_now", by, T)),
    "edit a post": (
        Permission.EDIT_POSTS,
        lambda db, w, by: posts.edit(
            db, w.post, by, T, text="Softer", link="", scheduled_at=datetime.fromtimestamp(T + 9000, tz=timezone.utc)
        ),
    ),
    "import posts": (Permission.EDIT_POSTS, lambda db, w, by: import_csv(db, CSV, "UTC", by, T)),
    "pause publishing": (Permission.PAUSE_PUBLISHING, lambda db, w, by: pause.pause(db, by, "crisis", T)),
    "resume publishing": (Permission.RESUME_PUBLISHING, lambda db, w, by: resume_a_pause(db, by)),
    "accept a hold proposal": (
        Permission.EDIT_POSTS,
        lambda db, w, by: proposals.accept(db, w.proposal, by, T, seen_version=1),
    ),
    "dismiss a hold proposal": (
        Permission.DISMISS_HOLD,
        lambda db, w, by: proposals.dismiss(db, w.proposal, by, "unrelated to the crisis", T, seen_version=1),
    ),
    "triage": (Permission.TRIAGE, lambda db, w, by: service.triage(db, [w.message], "monitor", "", "", by, T)),
    "correct a label": (
        Permission.CORRECT_LABELS,
        lambda db, w, by: service.correct_labels(db, [w.message], "neutral", by, T),
    ),
    "declare a crisis level": (
        Permission.SET_CRISIS_LEVEL,
        lambda db, w, by: Detector(db, PRESETS["medium"]).declare(by, "confirmed", T),
    ),
    "stand down": (
        Permission.SET_CRISIS_LEVEL,
        lambda db, w, by: Detector(db, PRESETS["medium"]).stand_down(by, "over", T),
    ),
    "declare an incident": (Permission.DECLARE_INCIDENT, lambda db, w, by: faq.declare(db, "New", "", [], by, T)),
    "resolve an incident": (Permission.DECLARE_INCIDENT, lambda db, w, by: faq.resolve(db, w.incident, by, T + 1)),
    "update an incident": (
        Permission.EDIT_RECORD,
        lambda db, w, by: faq.update_incident(db, w.incident, by, T, cause_status="known", cause="a deploy"),
    ),
    "add a fact": (
        Permission.EDIT_RECORD,
        lambda db, w, by: faq.add_fact(db, w.incident, T, "More", "eng", False, by, T),
    ),
    "update a fact": (Permission.EDIT_RECORD, lambda db, w, by: faq.update_fact(db, w.fact, by, T, verified=False)),
    "add an answer": (
        Permission.EDIT_RECORD,
        lambda db, w, by: faq.add_entry(db, w.incident, "Refunds?", "", "Ben", by, T),
    ),
    "edit an answer": (
        Permission.EDIT_RECORD,
        lambda db, w, by: faq.update_entry(db, w.entry, by, T, answer="All of January."),
    ),
    "approve an answer": (Permission.APPROVE_ANSWERS, lambda db, w, by: faq.approve(db, w.draft, by, T)),
    "publish the FAQ": (
        Permission.PUBLISH_FAQ,
        lambda db, w, by: faq.publish(db, FakeSlackClient(), "#staff", w.incident, by, T, changes_only=False),
    ),
    "add a team member": (
        Permission.MANAGE_TEAM,
        lambda db, w, by: team.add_member(db, "Ben", "spokesperson", "", by, T),
    ),
    "put someone on duty": (Permission.MANAGE_TEAM, lambda db, w, by: team.set_on_duty(db, w.member, True, by, T)),
    "rescore the last days": (
        Permission.RETRAIN_ENGINE,
        lambda db, w, by: rescore_recent(db, VaderEngine(), by, 7, T + 60),
    ),
    "add a key account": (
        Permission.KEY_ACCOUNTS,
        lambda db, w, by: key_accounts.add_account(db, "Acme", ["@acme"], [], [], "Dana", "", by, T),
    ),
    "mark an alert": (
        Permission.ALERT_FEEDBACK,
        lambda db, w, by: feedback.mark_alert(db, by, raised_alert(db), "useful", T),
    ),
    "record a missed crisis": (
        Permission.ALERT_FEEDBACK,
        lambda db, w, by: feedback.record_miss(db, by, T - 3600, "the outage on the forums", T),
    ),
}
READING = {Permission.READ_WALL, Permission.READ, Permission.READ_AUDIT}


def raised_alert(db) -> int:
    with write(db) as conn:
        return conn.execute(
            alerts.insert()
            .values(
                at=T,
                kind="level",
                audience="crisis_team",
                old_level=0,
                new_level=1,
                reason="detected",
                summary="WATCH",
                explanation="{}",
            )
            .returning(alerts.c.id)
        ).scalar_one()


def below(role: str) -> list[str]:
    return list(ROLES[: ROLES.index(role)])


def audit_rows(db) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()


def test_every_action_permission_has_a_case_here():
    covered = {permission for permission, _ in CASES.values()} | {Permission.RUN_DRILL}
    assert covered == set(Permission) - READING


@pytest.mark.parametrize("name", CASES)
def test_each_action_is_refused_for_every_role_below_it(db, name, caplog):
    permission, action = CASES[name]
    world = build_world(db)
    for role in below(permission.min_role):
        before = audit_rows(db)
        with pytest.raises(NotAllowed, match=f"needs the role {permission.min_role}"):
            action(db, world, Actor(f"someone-{role}", role))
        assert audit_rows(db) == before, f"{name}: a refused {role} changed the record"
        assert f"refused: {permission.what} needs the role {permission.min_role}" in caplog.text


@pytest.mark.parametrize("name", CASES)
def test_each_action_is_taken_from_its_role_up_and_audited(db, name):
    permission, action = CASES[name]
    world = build_world(db)
    before = audit_rows(db)
    action(db, world, Actor("ana", permission.min_role))
    assert audit_rows(db) > before


def test_starting_a_drill_needs_a_lead(drill_config):
    _, settings = drill_config()
    with pytest.raises(NotAllowed):
        start_drill(settings, Actor("eddie", "editor"))
    start_drill(settings, Actor("ana", "lead"))
    from worker.service import open_store

    db = open_store(settings)
    with db.connect() as conn:
        assert conn.execute(sa.select(drill_log.c.who)).scalars().all() == ["ana"]


def test_the_display_role_may_read_the_wall_and_nothing_else():
    assert [p for p in Permission if policy.DISPLAY.may(p)] == [Permission.READ_WALL]
    with pytest.raises(NotAllowed):
        require(policy.DISPLAY, Permission.READ)


def test_roles_come_from_the_address_then_its_domain_then_the_default():
    access = AccessSettings(
        roles={"Lead@Tidewell.example": "lead", "@tidewell.example": "viewer"}, internal_text_roles=["lead"]
    )
    assert policy.role_for("lead@tidewell.example", access) == "lead"
    assert policy.role_for(" LEAD@tidewell.EXAMPLE ", access) == "lead"
    assert policy.role_for("vic@tidewell.example", access) == "viewer"
    assert policy.role_for("eve@elsewhere.example", access) is None
    assert policy.role_for("eve@elsewhere.example", access.model_copy(update={"default_role": "viewer"})) == "viewer"
    assert policy.signed_in("lead@tidewell.example", access).reads_internal_text
    assert not policy.signed_in("vic@tidewell.example", access).reads_internal_text
    assert policy.signed_in("eve@elsewhere.example", access) is None
    assert set(PERSON_ROLES) == {"viewer", "editor", "lead", "admin"}


@pytest.mark.parametrize("key", ["not an address", "@nodot", "a b@x.example", "x@"])
def test_a_roles_key_that_is_no_address_is_a_config_error(key):
    with pytest.raises(ValueError, match="neither an e-mail address nor an @domain"):
        AccessSettings(roles={key: "viewer"})


def test_the_audit_filter_by_person_kind_and_literal_text(db):
    from store.audit import AuditFilter, search

    build_world(db)
    pause.pause(db, Actor("ben", "editor"), "100% sure_not a wildcard", T + 10)
    pause.resume(db, Actor("di", "lead"), "lifted", T + 12, lifts=1)  # a second pause needs the first lifted
    pause.pause(db, Actor("cy", "editor"), "1000 sure not", T + 20)
    everything = AuditFilter(0, T + 100)
    total, _ = search(db, everything, 1)
    assert total == audit_rows(db) and total > 2
    total, rows = search(db, AuditFilter(0, T + 100, text="0% sure_"), 10)
    assert (total, list(rows["who"])) == (1, ["ben"])  # % and _ are text, not wildcards
    total, rows = search(db, AuditFilter(0, T + 100, people=["cy"], kinds=["publishing"]), 10)
    assert (total, list(rows["action"])) == (1, ["publishing.pause"])
    assert search(db, AuditFilter(0, T + 100, kinds=["key"]), 10)[0] == 0  # a kind is a whole prefix
    assert search(db, AuditFilter(T + 15, T + 100), 10)[0] == 1  # the time window
