"""Alert delivery through the routing table, against fakes on loopback: a Teams
webhook (Adaptive Card), an SMTP server (aiosmtpd), a signed webhook and
Slack; success, rate limits, refused credentials and timeouts; each send
recorded and retried with backoff; failures on the Sources page."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa

from delivery import router as routing
from delivery.channels import Email
from delivery.problems import failures as delivery_failures
from delivery.setup import resolver
from settings.schema import DeliverySettings, Settings
from store.connection import write
from store.schema import alerts, deliveries
from tests.fake_hooks import FakeHook, FakeSmtp, SilentServer
from tests.fake_slack import FakeSlack

T0 = 1_800_000_000
HOSTILE = "<b>bold</b> [click](https://evil.example) **now** @channel"


def add_level_alert(db, at=T0, level=2, old=0) -> int:
    explanation = {
        "narratives": [
            {
                "text": "#tidewellleak my clips are public",
                "posts": 9,
                "negative_share": 0.8,
                "reach": 1200,
                "growth": "new",
            }
        ],
        "samples": [{"source": "x", "author": "@someone", "reach": 10, "text": HOSTILE}],
    }
    with write(db) as conn:
        return conn.execute(
            alerts.insert()
            .values(
                at=at,
                kind="level",
                audience="crisis_team",
                old_level=old,
                new_level=level,
                reason="detected",
                suppressed=False,
                summary="CRISIS · x: 16 messages in 1 min vs 3 expected",
                explanation=json.dumps(explanation),
            )
            .returning(alerts.c.id)
        ).scalar_one()


def settings_with(**delivery) -> Settings:
    return Settings(delivery=DeliverySettings(**delivery))


def make_router(db, clock, routes, secrets: dict, settings=None, **kwargs) -> routing.Router:
    settings = settings or settings_with(routes=routes)
    resolve = resolver(settings, lambda env, section, key: secrets.get(env), lambda section, name: {})
    return routing.Router(db, routes, resolve, clock=clock, **kwargs)


def rows(db) -> list:
    with db.connect() as conn:
        return conn.execute(sa.select(deliveries).order_by(deliveries.c.id)).all()


@pytest.fixture
def hook():
    fake = FakeHook()
    yield fake
    fake.close()


def test_a_level_alert_reaches_a_teams_webhook_as_an_adaptive_card(db, clock, hook):
    add_level_alert(db)
    router = make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {"TEAMS_WEBHOOK_CRISIS": hook.url})
    assert router.run_once() == 1
    card = hook.json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    body = card["content"]["body"]
    assert body[0]["text"] == "Crisis level CRISIS \\(was normal, detected\\)" and body[0]["color"] == "Attention"
    texts = [b["text"] for b in body]
    assert any("\\#tidewellleak" in t for t in texts)  # the same explanation as Slack's blocks
    sample = next(t for t in texts if "evil" in t)
    assert "\\[click\\]" in sample and "\\*\\*now\\*\\*" in sample and "\\<b\\>" in sample  # inert, never rendered
    assert "://" not in sample and "@\u2060channel" in sample  # no autolink, no mention
    (row,) = rows(db)
    assert (row.status, row.attempts, row.audience, row.channel) == ("sent", 1, "crisis_team", "teams:crisis")
    assert router.run_once() == 0  # sent once, never again


def test_teams_rate_limit_waits_the_retry_after_and_then_delivers(db, clock, hook):
    add_level_alert(db)
    hook.script.append((429, {"Retry-After": "90"}, b"Too many requests"))
    router = make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {"TEAMS_WEBHOOK_CRISIS": hook.url})
    assert router.run_once() == 0
    (row,) = rows(db)
    assert (row.status, row.next_at, row.last_error) == (
        "pending",
        T0 + 90,
        "Teams webhook crisis is rate limiting (429)",
    )
    clock.advance(60)
    assert router.run_once() == 0  # not before the wait
    clock.advance(31)
    assert router.run_once() == 1 and rows(db)[0].status == "sent"


def test_a_revoked_webhook_is_not_retried_and_its_secret_url_never_shows(db, clock, hook):
    add_level_alert(db)
    hook.script.append((403, {}, b"Forbidden"))
    router = make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {"TEAMS_WEBHOOK_CRISIS": hook.url})
    router.run_once()
    (row,) = rows(db)
    assert row.status == "failed" and "refused the message (403)" in row.last_error
    failures = delivery_failures(db)
    assert failures == [f"crisis_team → teams:crisis: {row.last_error} (gave up, attempt 1)"]
    assert "secret-part" not in " ".join(failures)


def test_a_hung_webhook_times_out_and_is_retried_with_backoff_until_max_attempts(db, clock, hook):
    add_level_alert(db)
    hook.hang_s = 2
    router = make_router(
        db,
        clock,
        {"crisis_team": ["teams:crisis"]},
        {"TEAMS_WEBHOOK_CRISIS": hook.url},
        max_attempts=3,
        retry_base_s=30,
    )
    router.resolve = _short_timeouts(router.resolve)
    waits = []
    for _ in range(3):
        router.run_once()
        (row,) = rows(db)
        waits.append(None if row.next_at is None else row.next_at - clock())
        clock.advance(10_000)
    assert waits == [30, 60, None]  # backoff doubles; the third failure gives up
    assert rows(db)[0].status == "failed" and "did not answer within 0.3 s" in rows(db)[0].last_error


def _short_timeouts(resolve):
    def short(entry):
        channel, to = resolve(entry)
        channel.timeout_s = 0.3
        return channel, to

    return short


def test_a_missing_webhook_secret_says_what_to_set(db, clock):
    add_level_alert(db)
    make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {}).run_once()
    (row,) = rows(db)
    assert row.status == "failed" and "TEAMS_WEBHOOK_CRISIS or [teams_webhook] crisis" in row.last_error


def test_a_signed_webhook_carries_a_verifiable_hmac(db, clock, hook):
    add_level_alert(db)
    key = "hmac-key-for-tests"
    router = make_router(
        db,
        clock,
        {"internal_comms": ["webhook:intranet"]},
        {},
    )
    router.resolve = resolver(
        settings_with(routes={"internal_comms": ["webhook:intranet"]}),
        lambda env, section, key_: None,
        lambda section, name: {"url": hook.url, "hmac_key": key} if (section, name) == ("webhook", "intranet") else {},
    )
    assert router.run_once() == 1
    (got,) = hook.received
    headers = {k.lower(): v for k, v in got["headers"].items()}
    expected = hmac.new(key.encode(), headers["x-crisisdesk-timestamp"].encode() + b"." + got["body"], hashlib.sha256)
    assert headers["x-crisisdesk-signature"] == "sha256=" + expected.hexdigest()
    payload = json.loads(got["body"])
    assert (
        payload["kind"] == "level"
        and payload["level"] == "crisis"
        and any(HOSTILE in line for line in payload["lines"])
    )
    assert rows(db)[0].audience == "internal_comms"


def test_webhook_rate_limit_and_refusal(db, clock, hook):
    add_level_alert(db)
    hook.script += [(429, {"Retry-After": "5"}, b""), (401, {}, b"bad signature")]
    router = make_router(db, clock, {"crisis_team": ["webhook:pager"]}, {})
    router.resolve = resolver(
        settings_with(routes={"crisis_team": ["webhook:pager"]}),
        lambda *a: None,
        lambda section, name: {"url": hook.url, "hmac_key": "k"},
    )
    router.run_once()
    assert rows(db)[0].next_at == T0 + 5
    clock.advance(5)
    router.run_once()
    assert rows(db)[0].status == "failed" and "(401)" in rows(db)[0].last_error


def smtp_settings(port: int, **extra) -> Settings:
    return settings_with(
        routes={"crisis_team": ["email:crisis@tidewell.example,lead@tidewell.example"]},
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "sender": "desk@tidewell.example", **extra},
    )


def test_email_goes_out_as_plain_text_and_html(db, clock):
    smtp = FakeSmtp()
    try:
        add_level_alert(db)
        settings = smtp_settings(smtp.port)
        router = make_router(db, clock, settings.delivery.routes, {}, settings=settings)
        assert router.run_once() == 1
        (got,) = smtp.messages
        assert got["to"] == ["crisis@tidewell.example", "lead@tidewell.example"]
        mail = got["mail"]
        assert mail["Subject"] == "[Crisis Desk] Crisis level CRISIS (was normal, detected)"
        plain = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert "What people are saying:" in plain
        assert "1. #tidewellleak my clips are public (9 posts, 80% negative" in plain
        assert HOSTILE in plain
        assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html  # escaped in HTML
    finally:
        smtp.close()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_login_refused_is_not_retried_and_the_password_never_shows(db, clock, monkeypatch):
    smtp = FakeSmtp(users={"desk": "right-password"})
    try:
        add_level_alert(db)
        settings = smtp_settings(smtp.port, username="desk")
        router = make_router(db, clock, settings.delivery.routes, {"SMTP_PASSWORD": "wrong-pass-Q7"}, settings=settings)
        router.run_once()
        (row,) = rows(db)
        assert row.status == "failed" and "refused the login of desk (535)" in row.last_error
        assert "wrong-pass-Q7" not in row.last_error and smtp.messages == []
        with write(db) as conn:  # the right password: a new alert goes out
            conn.execute(deliveries.delete())
        good = make_router(db, clock, settings.delivery.routes, {"SMTP_PASSWORD": "right-password"}, settings=settings)
        assert good.run_once() == 1 and len(smtp.messages) == 1
    finally:
        smtp.close()


def test_email_rate_limited_by_the_server_is_retried(db, clock):
    smtp = FakeSmtp()
    try:
        add_level_alert(db)
        smtp.refuse = "451 4.7.1 Rate limited, try again later"
        settings = smtp_settings(smtp.port)
        router = make_router(db, clock, settings.delivery.routes, {}, settings=settings)
        router.run_once()
        (row,) = rows(db)
        assert row.status == "pending" and "451" in row.last_error and row.next_at == T0 + 30
        smtp.refuse = None
        clock.advance(30)
        assert router.run_once() == 1
    finally:
        smtp.close()


def test_a_hung_mail_server_times_out(db, clock):
    silent = SilentServer()
    try:
        channel = Email("127.0.0.1", silent.port, "desk@tidewell.example", security="none", timeout_s=0.3)
        from delivery.channels import DeliveryFailed
        from delivery.content import AlertContent

        with pytest.raises(DeliveryFailed, match="did not answer within 0.3 s") as caught:
            channel.send(AlertContent(1, "level", "crisis", "t"), ["a@b.example"])
        assert caught.value.retry
    finally:
        silent.close()


def test_slack_in_the_routing_table_gets_the_same_blocks(db, clock):
    slack = FakeSlack()
    try:
        add_level_alert(db)
        settings = settings_with(routes={"crisis_team": ["slack:#war-room"]})
        settings = settings.model_copy(
            update={"notify": settings.notify.model_copy(update={"slack_base_url": slack.base_url})}
        )
        router = make_router(db, clock, settings.delivery.routes, {"SLACK_BOT_TOKEN": "xoxb-t"}, settings=settings)
        assert router.run_once() == 1
        (post,) = slack.posts()
        assert post["body"]["channel"] == "#war-room" and post["body"]["text"].startswith(":red_circle: CRISIS")
    finally:
        slack.close()


def test_a_drill_alert_says_drill_first_on_every_channel(db, clock, hook):
    """Teams, e-mail, a signed webhook and Slack: a drill's level alert says DRILL
    before anything else, so a forwarded copy never reads as a real crisis."""
    slack, smtp = FakeSlack(), FakeSmtp()
    try:
        add_level_alert(db)
        routes = {
            "crisis_team": ["teams:crisis", "email:lead@tidewell.example", "slack:#war-room"],
            "internal_comms": ["webhook:intranet"],
        }
        settings = settings_with(
            routes=routes,
            smtp={"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "desk@tidewell.example"},
        )
        settings = settings.model_copy(
            update={"notify": settings.notify.model_copy(update={"slack_base_url": slack.base_url})}
        )
        secrets = {"TEAMS_WEBHOOK_CRISIS": hook.url, "SLACK_BOT_TOKEN": "xoxb-t"}
        router = routing.Router(
            db,
            routes,
            resolver(
                settings,
                lambda env, section, key: secrets.get(env),
                lambda section, name: {"url": hook.url, "hmac_key": "k"} if section == "webhook" else {},
            ),
            clock=clock,
            drill=True,
        )
        assert router.run_once() == 4
        card, webhook = (json.loads(got["body"]) for got in hook.received)
        if "attachments" not in card:
            card, webhook = webhook, card
        body = card["attachments"][0]["content"]["body"]
        assert body[0]["text"].startswith("DRILL · Crisis level CRISIS")
        assert body[1]["text"] == "DRILL \\- exercise data, not a real crisis"
        assert webhook["drill"] is True and webhook["title"].startswith("DRILL · Crisis level CRISIS")
        assert webhook["lines"][0] == "DRILL - exercise data, not a real crisis"
        (mail,) = [m["mail"] for m in smtp.messages]
        assert mail["Subject"] == "[Crisis Desk] DRILL · Crisis level CRISIS (was normal, detected)"
        assert mail.get_body(("plain",)).get_content().startswith("DRILL · Crisis level CRISIS")
        (post,) = slack.posts()
        assert post["body"]["text"].startswith(":red_circle: DRILL · CRISIS")
    finally:
        slack.close()
        smtp.close()


def test_a_live_alert_never_says_drill(db, clock, hook):
    add_level_alert(db)
    router = make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {"TEAMS_WEBHOOK_CRISIS": hook.url})
    assert not router.drill and router.run_once() == 1
    assert "DRILL" not in json.dumps(hook.json())


def test_build_delivery_marks_a_drill(db, drill_config):
    from delivery.setup import build_delivery

    _, settings = drill_config()
    settings = settings.model_copy(update={"delivery": DeliverySettings(routes={"crisis_team": ["teams:crisis"]})})
    assert settings.is_drill and build_delivery(settings, db).router.drill
    live = settings.model_copy(update={"app": settings.app.model_copy(update={"mode": "live"})})
    assert not live.is_drill and not build_delivery(live, db).router.drill


def test_a_runner_that_stopped_mid_send_is_never_sent_twice(db, clock, hook):
    add_level_alert(db)
    router = make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {"TEAMS_WEBHOOK_CRISIS": hook.url})
    router.plan()
    (row,) = rows(db)
    assert router._claim(row.id, clock())  # claimed, then the runner died
    clock.advance(routing.CLAIM_S + 1)
    assert router.run_once() == 0 and hook.received == []
    assert rows(db)[0].status == "unknown"
    assert "outcome unknown" in delivery_failures(db)[0]


def test_old_and_suppressed_alerts_are_not_delivered(db, clock, hook):
    add_level_alert(db, at=T0 - 2 * 3600)
    router = make_router(db, clock, {"crisis_team": ["teams:crisis"]}, {"TEAMS_WEBHOOK_CRISIS": hook.url})
    assert router.run_once() == 0 and rows(db) == []


def test_routes_are_checked_in_config():
    with pytest.raises(ValueError, match="not a channel"):
        DeliverySettings(routes={"crisis_team": ["pager:duty"]})
    with pytest.raises(ValueError, match="not e-mail addresses"):
        DeliverySettings(routes={"crisis_team": ["email:nobody"]}, smtp={"host": "h", "sender": "a@b.example"})
    with pytest.raises(ValueError, match=r"\[delivery.smtp\] host and sender"):
        DeliverySettings(routes={"executives": ["email:a@b.example"]})
    with pytest.raises(ValueError):
        DeliverySettings(routes={"board": ["teams:x"]})
    smtp = {"host": "h", "sender": "a@b.example"}
    with pytest.raises(ValueError, match="on_duty route only"):
        DeliverySettings(routes={"crisis_team": ["email:on-duty"]}, smtp=smtp)
    assert DeliverySettings(routes={"on_duty": ["email:on-duty", "teams:duty"]}, smtp=smtp).routes["on_duty"]


def test_executives_get_digests_through_the_routing_table_without_slack(db, clock, hook, monkeypatch):
    from delivery.setup import build_delivery

    monkeypatch.setenv("TEAMS_WEBHOOK_EXEC", hook.url)
    settings = settings_with(routes={"executives": ["teams:exec"]})
    delivery = build_delivery(settings, db, clock=clock)
    assert delivery.run_once() == 1  # the first digest is due at once
    card = hook.json()["attachments"][0]["content"]
    assert settings.is_drill  # the default mode: its digests say DRILL first too
    assert card["body"][0]["text"] == "DRILL · Digest: normal"
    assert any(b["text"].startswith("Crisis level: normal") for b in card["body"])
    clock.advance(3600)
    assert delivery.run_once() == 0  # calm: the next one in digest_calm_h
    assert build_delivery(settings_with(), db) is None  # nothing routed: nothing runs


def test_a_hung_signed_webhook_times_out_and_is_retried(db, clock, hook):
    add_level_alert(db)
    hook.hang_s = 2
    router = make_router(db, clock, {"crisis_team": ["webhook:pager"]}, {})
    router.resolve = _short_timeouts(
        resolver(
            settings_with(routes={"crisis_team": ["webhook:pager"]}),
            lambda *a: None,
            lambda section, name: {"url": hook.url, "hmac_key": "k"},
        )
    )
    router.run_once()
    (row,) = rows(db)
    assert row.status == "pending" and row.last_error == "webhook pager did not answer within 0.3 s"


def test_slack_route_refused_token_and_rate_limit(db, clock):
    slack = FakeSlack()
    try:
        add_level_alert(db)
        add_level_alert(db, level=1)
        settings = settings_with(routes={"crisis_team": ["slack:#war-room"]})
        settings = settings.model_copy(
            update={"notify": settings.notify.model_copy(update={"slack_base_url": slack.base_url})}
        )
        slack.script.append((200, {}, {"ok": False, "error": "invalid_auth"}))
        slack.script.extend([(429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"})] * 3)
        router = make_router(db, clock, settings.delivery.routes, {"SLACK_BOT_TOKEN": "xoxb-t"}, settings=settings)
        assert router.run_once() == 0
        first, second = rows(db)
        assert first.status == "failed" and first.last_error == "Slack said invalid_auth (HTTP 200)"
        assert second.status == "pending" and "ratelimited (HTTP 429)" in second.last_error
        assert second.next_at == T0 + 1  # Slack's Retry-After, not the backoff
    finally:
        slack.close()
