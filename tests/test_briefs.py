"""The executive brief at set times during a crisis, by e-mail and to Teams,
on a simulated clock; nothing while the level is normal, never twice a slot."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crisis.detector import Detector
from crisis.presets import PRESETS
from delivery.briefs import BriefSchedule, latest_slot
from delivery.router import Router
from delivery.setup import resolver
from settings.schema import DeliverySettings, Settings
from store.schema import alerts
from tests.actors import ANA
from tests.fake_hooks import FakeHook, FakeSmtp

AMS = ZoneInfo("Europe/Amsterdam")
# 2027-01-15 08:00 UTC = 09:00 in Amsterdam
T0 = 1_800_000_000


def test_latest_slot_in_the_configured_zone():
    assert latest_slot(["09:00", "17:00"], AMS, T0) == T0
    assert latest_slot(["09:00", "17:00"], AMS, T0 - 1) == T0 - 16 * 3600  # yesterday 17:00
    assert latest_slot(["17:00"], AMS, T0 + 8 * 3600) == T0 + 8 * 3600


def test_the_brief_goes_out_at_its_times_during_a_crisis_only(db, clock):
    hook, smtp = FakeHook(), FakeSmtp()
    try:
        channels = ["email:exec@tidewell.example", "teams:exec"]
        settings = Settings(
            delivery=DeliverySettings(
                briefs={"times": ["09:00", "13:00"], "channels": channels},
                smtp={"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "desk@tidewell.example"},
            )
        )
        resolve = resolver(
            settings, lambda env, s, k: hook.url if env == "TEAMS_WEBHOOK_EXEC" else None, lambda s, n: {}
        )
        router = Router(db, {}, resolve, clock=clock)
        schedule = BriefSchedule(db, ["09:00", "13:00"], channels, AMS, clock=clock)
        clock.now = T0 + 60  # 09:01, level normal: no brief
        assert not schedule.run_once()
        Detector(db, PRESETS["medium"]).declare(ANA, "customers' clips leaked", T0 + 90)
        clock.now = T0 + 120
        assert schedule.run_once()
        assert not schedule.run_once()  # once per slot
        assert router.run_once() == 2
        mail = smtp.messages[0]["mail"]
        assert mail["Subject"] == "[Crisis Desk] Executive brief: CRISIS (09:00)"
        plain = mail.get_body(("plain",)).get_content()
        assert "Crisis level: crisis" in plain and "Messages, last hour:" in plain
        card = hook.json(0)["attachments"][0]["content"]
        assert card["body"][0]["text"] == "Executive brief: CRISIS \\(09:00\\)"
        clock.now = T0 + 4 * 3600 + 60 * 45  # 13:45: the 13:00 slot was missed by more than the grace
        assert not schedule.run_once()
        clock.now = T0 + 4 * 3600 + 60 * 10  # (had it run at 13:10, it would have gone)
        assert schedule.run_once()
        with db.connect() as conn:
            kinds = conn.execute(sa.select(alerts.c.kind, alerts.c.reason, alerts.c.notified_at)).all()
        assert [(k, r) for k, r, _ in kinds if k == "brief"] == [("brief", "brief 09:00"), ("brief", "brief 13:00")]
    finally:
        hook.close()
        smtp.close()


def test_brief_times_need_channels():
    import pytest

    with pytest.raises(ValueError, match="no channels"):
        DeliverySettings(briefs={"times": ["09:00"]})
    with pytest.raises(ValueError, match="HH:MM"):
        DeliverySettings(briefs={"times": ["9am"], "channels": ["teams:exec"]})


def test_a_drill_brief_says_drill_in_the_subject_and_first_line(db, clock):
    smtp = FakeSmtp()
    try:
        channels = ["email:exec@tidewell.example"]
        settings = Settings(
            delivery=DeliverySettings(
                briefs={"times": ["09:00"], "channels": channels},
                smtp={"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "desk@tidewell.example"},
            )
        )
        router = Router(db, {}, resolver(settings, lambda env, s, k: None, lambda s, n: {}), clock=clock)
        schedule = BriefSchedule(db, ["09:00"], channels, AMS, clock=clock, drill=True)
        Detector(db, PRESETS["medium"]).declare(ANA, "drill: the scenario's leak", T0 + 90)
        clock.now = T0 + 120
        assert schedule.run_once() and router.run_once() == 1
        mail = smtp.messages[0]["mail"]
        assert mail["Subject"] == "[Crisis Desk] DRILL - Executive brief: CRISIS (09:00)"
        plain = mail.get_body(("plain",)).get_content()
        assert plain.splitlines()[0] == "DRILL - Executive brief: CRISIS (09:00)"
        assert "DRILL - exercise data, not a real crisis" in plain.split("Crisis level:")[0]
    finally:
        smtp.close()
