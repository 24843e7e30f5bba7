"""The team roster, on duty in alerts, and drills that never touch live data."""

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from access.roles import NotAllowed
from incidents import team
from settings import load_settings
from store.schema import drill_log, messages
from tests.actors import ANA, VIC
from tests.conftest import ROOT, write_config
from tests.fake_slack import sent_level_alert_blocks
from worker.service import build_runner, open_store, start_drill

T = 1_800_000_000


def test_roster_matrix_and_roles(db):
    lead = team.add_member(db, "Ana", "lead", "+31 6 1", ANA, T)
    team.add_member(db, "Ben", "spokesperson", "@ben", ANA, T, reports_to=lead)
    with pytest.raises(ValueError, match="role must be one of"):
        team.add_member(db, "Cy", "intern", "", ANA, T)
    with pytest.raises(NotAllowed):
        team.add_member(db, "Cy", "monitor", "", VIC, T)
    matrix = dict(team.matrix(team.roster(db)).values.tolist())
    assert matrix["Who speaks externally"] == "Ben"
    assert matrix["Who monitors"].startswith("nobody")
    assert matrix["Ben reports to"] == "Ana"
    team.set_on_duty(db, lead, True, ANA, T)
    assert team.on_duty(db) == ["Ana (lead)"]


def test_level_alerts_name_who_is_on_duty(db, clock):
    team.set_on_duty(db, team.add_member(db, "Ana", "lead", "", ANA, T), True, ANA, T)
    blocks = sent_level_alert_blocks(db, clock, T)
    assert {
        "type": "context",
        "elements": [{"type": "plain_text", "text": "On duty: Ana (lead)", "emoji": False}],
    } in blocks


def test_a_drill_never_writes_into_the_live_store(tmp_path):
    path = write_config(
        tmp_path,
        f'[app]\nmode = "live"\ndata_dir = "{tmp_path / "data"}"\n[runner]\nin_app = false\n'
        '[sentiment]\nengine = "vader"\n',
    )
    live = load_settings(path)
    start_drill(live, ANA, at_s=600)
    drill = live.model_copy(update={"app": live.app.model_copy(update={"mode": "drill"})})
    drill_db = open_store(drill)
    build_runner(drill, drill_db).run_pending()  # the drill runner plays the scenario
    live_db = open_store(live)
    with drill_db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() > 500
    with live_db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 0
        assert conn.execute(sa.select(drill_log.c.who, drill_log.c.start_offset_s)).all() == [("ana", 600.0)]
    assert str(drill_db.url) != str(live_db.url)


def test_team_page(drill_store):
    drill_store(0.5)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/team.py").run()
    assert not at.exception, at.exception
    assert any("No one on the roster" in i.value for i in at.info)
    at.text_input(key="member_name").input("Ana")
    at.selectbox(key="member_role").set_value("lead")
    at.button(key="FormSubmitter:member_form-Add").click().run()
    at.button(key="duty_on").click().run()
    roster = at.dataframe[0].value
    assert roster[["name", "role", "on duty"]].values.tolist() == [["Ana", "lead", "ON DUTY"]]
    matrix = dict(at.dataframe[1].value.values.tolist())
    assert matrix["Who leads the response"] == "Ana (on duty)"
    at.button(key="drill_start").click().run()
    assert not at.exception, at.exception
    # One click only asks: nothing is wiped or logged until the person confirms.
    assert any("This empties the drill store" in w.value for w in at.warning)
    assert any("No drill on record" in c.value for c in at.caption)
    at.button(key="drill_no").click().run()
    assert not any("This empties the drill store" in w.value for w in at.warning)
    at.button(key="drill_start").click().run()
    at.button(key="drill_yes").click().run()
    assert not at.exception, at.exception
    assert at.dataframe[-1].value.iloc[:, 1].tolist() == ["local user"]
    assert at.dataframe[-1].value.columns[0].startswith("when (")  # the zone is named


def test_a_drill_reset_resets_everything_the_drill_made(drill_store):
    """Played 20 minutes in, worked on by the team, then restarted: nothing of
    the first run is left, and the scenario's posts are imported once, not twice."""
    from access import service
    from incidents import faq
    from publishing import pause
    from store.schema import (
        alerts,
        crisis_state,
        faq_entries,
        incidents,
        label_corrections,
        publishing_state,
        rollups_minute,
        scheduled_posts,
        team_members,
        triage,
    )
    from worker.service import restart_drill

    db = drill_store(20)
    settings = load_settings(__import__("os").environ["CRISISDESK_CONFIG"])
    team.add_member(db, "Ana", "lead", "", ANA, T)
    with db.connect() as conn:
        ids = conn.execute(sa.select(messages.c.id).where(messages.c.source != "slack").limit(3)).scalars().all()
        posts_first = conn.execute(sa.select(sa.func.count()).select_from(scheduled_posts)).scalar()
    assert ids and posts_first
    service.triage(db, ids, "monitor", "", "", ANA, T)
    service.correct_labels(db, ids, "positive", ANA, T)
    incident = faq.declare(db, "Leak", "clips", ["leak"], ANA, T)
    faq.add_entry(db, incident, "Q?", "A.", "Ana", ANA, T)
    pause.pause(db, ANA, "drill hold", T)

    restart_drill(db, settings, at_s=0)
    with db.connect() as conn:
        for table in (
            messages,
            rollups_minute,
            alerts,
            crisis_state,
            triage,
            label_corrections,
            incidents,
            faq_entries,
            publishing_state,
            scheduled_posts,
        ):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0, table.name
        assert conn.execute(sa.select(sa.func.count()).select_from(team_members)).scalar() == 1  # people stay
    assert not pause.state(db).paused
    restart_drill(db, settings, at_s=20 * 60)
    build_runner(settings, db).run_pending()
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(scheduled_posts)).scalar() == posts_first
