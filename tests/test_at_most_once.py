"""At most once on both stores: concurrent publisher loops, holds racing
claims, alerts, digests and key-account escalations claimed before they are
sent; a send whose outcome is unknown is never repeated by itself."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from crisis.notify import SlackNotifier, slack_client
from delivery.problems import failures as notifier_failures
from incidents import key_accounts
from publishing import pause, posts
from publishing.channels import SendError, SlackChannel
from publishing.publisher import Publisher
from store.connection import write
from store.ingest import store_messages
from store.schema import alerts
from store.schema import key_account_hits as hits
from store.schema import scheduled_posts as sp
from tests.actors import ANA
from tests.conftest import TEST_DATABASE_URL, message
from tests.fake_slack import FakeSlack, store_level_alert

T0 = 1_800_000_000


class Recorder:
    """A channel that counts what it was asked to send (thread-safe)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send(self, text: str, target: str) -> str:
        with self.lock:
            self.sent.append(text)
        return f"id-{text}"


def add_posts(db, n: int, due: float = T0) -> list[int]:
    rows = [
        {
            "origin": "manual",
            "channel": "x",
            "target": "",
            "text": f"post {i}",
            "scheduled_at": int(due),
            "author": "a",
            "status": "scheduled",
            "created_at": due,
            "updated_at": due,
        }
        for i in range(n)
    ]
    with write(db) as conn:
        conn.execute(sp.insert(), rows)
        return list(conn.execute(sa.select(sp.c.id).order_by(sp.c.id)).scalars().all())


def run_loops(db, channel, loops: int, until_empty=True) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(loops)

    def loop(owner: str) -> None:
        try:
            pub = Publisher(db, {"x": channel}, owner, clock=lambda: T0 + 1, batch=20)
            start.wait()
            while pub.run_once():
                pass
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(f"pub-{i}",)) for i in range(loops)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def statuses(db) -> dict[int, str]:
    with db.connect() as conn:
        return dict(conn.execute(sa.select(sp.c.id, sp.c.status)).all())


def test_concurrent_publisher_loops_send_every_post_exactly_once(db):
    ids = add_posts(db, 600)
    channel = Recorder()
    assert run_loops(db, channel, 4) == []
    counts = Counter(channel.sent)
    assert len(counts) == 600 and max(counts.values()) == 1, (
        f"sent twice: {[t for t, n in counts.items() if n > 1][:5]}"
    )
    assert set(statuses(db).values()) == {"published"} and len(ids) == 600


def test_a_hold_racing_the_claims_is_never_sent(db):
    ids = add_posts(db, 400)
    channel = Recorder()
    held: list[int] = []

    def holder() -> None:
        for pid in ids[::3]:
            held.extend([pid] if posts.act(db, [pid], "hold", ANA, T0 + 1, "racing") else [])

    hold_thread = threading.Thread(target=holder)
    hold_thread.start()
    errors = run_loops(db, channel, 4)
    hold_thread.join(120)
    assert errors == []
    final = statuses(db)
    sent = Counter(channel.sent)
    assert max(sent.values()) == 1
    assert {pid for pid, s in final.items() if s == "held"} == set(held)  # the row says held: it was not sent
    assert not {f"post {ids.index(pid)}" for pid in held} & set(sent)
    assert {f"post {ids.index(pid)}" for pid, s in final.items() if s == "published"} == set(sent)
    assert len(held) + len(sent) == 400


def test_a_pause_racing_the_claims_stops_every_later_claim(db):
    ids = add_posts(db, 300)
    channel = Recorder()
    paused_at: list[int] = []

    def pauser() -> None:
        pause.pause(db, ANA, "breaking news", T0 + 1)
        paused_at.append(len(channel.sent))

    t = threading.Thread(target=pauser)
    t.start()
    run_loops(db, channel, 3)
    t.join(60)
    # After the pause committed no claim succeeds: nothing is still sending and
    # every post sent was claimed before the pause.
    final = statuses(db)
    assert Counter(final.values())["published"] == len(channel.sent) <= len(ids)
    assert "publishing" not in final.values()
    assert Publisher(db, {"x": channel}, "late", clock=lambda: T0 + 2).run_once() == []


@pytest.fixture
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def publish_one_to(db, slack, *script, timeout_s=1):
    slack.script.extend(script)
    pid = posts.create(
        db,
        posts.NewPost("slack", "Town hall at 4", datetime.fromtimestamp(T0, tz=timezone.utc), "a", "#general"),
        ANA,
        T0 - 60,
    )
    channel = SlackChannel(slack_client("xoxb-test", slack.base_url, timeout_s=timeout_s))
    [result] = Publisher(db, {"slack": channel}, "pub", clock=lambda: T0 + 1).run_once()
    return pid, result


def test_a_slack_500_is_sent_once_and_recorded_as_outcome_unknown(db, slack):
    pid, result = publish_one_to(db, slack, (500, {}, b"upstream trouble"))
    assert len(slack.posts()) == 1  # slack-sdk did not post it again
    assert result.status == "failed"
    assert result.detail.startswith("outcome unknown: Slack answered HTTP 500")
    assert "check the channel" in result.detail


def test_a_slack_timeout_is_outcome_unknown_never_could_not_be_reached(db, slack):
    pid, result = publish_one_to(db, slack, ("hang", {}, 3), timeout_s=1)
    assert len(slack.posts()) == 1
    assert result.detail.startswith("outcome unknown: Slack received the request but gave no answer in time")
    assert "could not be reached" not in result.detail


def test_slack_that_never_got_the_request_could_not_be_reached(db):
    gone = FakeSlack()
    gone.close()
    channel = SlackChannel(slack_client("xoxb-test", gone.base_url, timeout_s=1))
    with pytest.raises(SendError, match="Slack could not be reached: ConnectionRefusedError") as caught:
        channel.send("hello", "#general")
    assert not caught.value.unknown


def add_alert(db, at=T0):
    store_level_alert(db, at)


def test_concurrent_notifiers_send_each_alert_once(db, slack):
    for i in range(12):
        add_alert(db, T0 + i)
    barrier = threading.Barrier(4)

    def run() -> None:
        n = SlackNotifier(
            db, slack_client("xoxb", slack.base_url, timeout_s=5), {"crisis_team": "#c"}, clock=lambda: T0 + 60
        )
        barrier.wait()
        n.send_pending()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(slack.posts()) == 12
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(alerts.c.notified_at.is_not(None))).scalar() == 12


def test_an_alert_timeout_is_outcome_unknown_and_not_sent_again(db, slack, clock):
    add_alert(db)
    slack.script.append(("hang", {}, 3))
    n = SlackNotifier(db, slack_client("xoxb", slack.base_url, timeout_s=1), {"crisis_team": "#c"}, clock=clock)
    assert n.send_pending() == 0
    [failure] = notifier_failures(db)
    assert "outcome unknown" in failure and "could not be reached" not in failure
    clock.advance(86400)
    assert n.send_pending() == 0 and len(slack.posts()) == 1


def test_an_alert_claimed_by_a_sender_that_died_becomes_outcome_unknown(db, slack, clock):
    add_alert(db)
    with write(db) as conn:
        conn.execute(alerts.update().values(notify_claimed_at=clock.now))  # claimed, then the process died
    n = SlackNotifier(db, slack_client("xoxb", slack.base_url, timeout_s=5), {"crisis_team": "#c"}, clock=clock)
    clock.advance(600)
    assert n.send_pending() == 0 and slack.posts() == []
    [failure] = notifier_failures(db)
    assert "outcome unknown: the runner stopped while sending" in failure


def test_two_runners_queue_one_digest(db, slack, monkeypatch):
    barrier = threading.Barrier(2)
    import crisis.brief

    real = crisis.brief.build_brief

    def slow_brief(*args, **kwargs):  # both runners find a digest due before either queues it
        result = real(*args, **kwargs)
        barrier.wait(10)
        return result

    monkeypatch.setattr(crisis.brief, "build_brief", slow_brief)
    results: list[bool] = []

    def run() -> None:
        n = SlackNotifier(db, slack_client("xoxb", slack.base_url), {"executives": "#exec"}, clock=lambda: T0)
        results.append(n.queue_digest())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [False, True]
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(alerts.c.kind == "digest")).scalar() == 1


def add_key_account_hits(db, n: int) -> None:
    batch = [message(f"m{i}", f"Acme is down again {i}", author="@someone", at=T0) for i in range(n)]
    with write(db) as conn:
        store_messages(conn, batch, [None] * n, None, T0)
    key_accounts.add_account(db, "Acme", [], [], [], "jo", "#acme-escalations", ANA, T0 + 60)


def test_two_workers_escalate_each_key_account_mention_once(db, slack):
    add_key_account_hits(db, 30)
    barrier = threading.Barrier(3)

    def run() -> None:
        client = slack_client("xoxb", slack.base_url, timeout_s=5)
        barrier.wait()
        key_accounts.escalate(db, client, T0 + 120)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    texts = Counter(json.dumps(r["body"]["text"]) for r in slack.posts())
    assert len(texts) == 30 and max(texts.values()) == 1


def test_an_escalation_with_unknown_outcome_is_not_sent_again(db, slack):
    add_key_account_hits(db, 1)
    slack.script.append((502, {}, b"bad gateway"))
    client = slack_client("xoxb", slack.base_url, timeout_s=5)
    assert key_accounts.escalate(db, client, T0 + 120) == 0
    assert key_accounts.escalate(db, client, T0 + 999) == 0
    assert len(slack.posts()) == 1
    with db.connect() as conn:
        error = conn.execute(sa.select(hits.c.escalate_error)).scalar()
    assert error.startswith("outcome unknown: Slack answered HTTP 502")


def test_a_refused_escalation_is_tried_again(db, slack):
    add_key_account_hits(db, 1)
    slack.script.append((200, {}, {"ok": False, "error": "channel_not_found"}))
    client = slack_client("xoxb", slack.base_url, timeout_s=5)
    assert key_accounts.escalate(db, client, T0 + 120) == 0
    assert key_accounts.escalate(db, client, T0 + 180) == 1
    assert len(slack.posts()) == 2


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_publisher_processes_with_a_holder_racing_send_each_post_at_most_once(store):
    """Real processes, each with its own connections, as separate workers would be
    (about 15 s: three spawned interpreters; up to minutes on a loaded machine,
    where a process that fails or hangs is named, with its traceback)."""
    from bench.publish import run

    if store == "postgresql" and not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL store tests need TEST_DATABASE_URL")
    result = run(TEST_DATABASE_URL if store == "postgresql" else None, loops=2, posts=300, timeout_s=600)
    assert (result["store"], result["duplicates"], result["held_sent"]) == (store, 0, 0)
    assert result["sent"] + result["held"] == 300 == result["published_rows"] + result["held"]


def _waits_then_answers(value, start):
    start.wait(60)
    return value


def _fails(start):
    raise ValueError("on purpose")


def _hangs(start):
    import time

    time.sleep(120)


def test_a_process_that_fails_or_hangs_is_named_and_the_rest_are_ended():
    """How the at-most-once test waits for its processes: results come back
    through files, and a failure or a hang is a clear error, not an EOFError."""
    import time

    from bench.publish import run_processes

    assert run_processes({"a": (_waits_then_answers, (1,)), "b": (_waits_then_answers, ([2],))}, 120) == {
        "a": 1,
        "b": [2],
    }
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"(?s)process boom failed:.*ValueError: on purpose"):
        run_processes({"waiting": (_waits_then_answers, (1,)), "boom": (_fails, ())}, 120)
    with pytest.raises(RuntimeError, match=r"process\(es\) stuck did not finish within 5 s"):
        run_processes({"stuck": (_hangs, ())}, 5)
    assert time.monotonic() - started < 60  # neither waited for the barrier's or the sleeper's end


def test_an_x_5xx_is_sent_once_and_recorded_as_outcome_unknown(db):
    import tweepy

    from publishing.channels import XChannel
    from tests.fake_x import FakeX

    fake = FakeX()
    try:
        client = tweepy.Client(consumer_key="ck", consumer_secret="cs", access_token="at", access_token_secret="ats")
        fake.attach(client)
        fake.script.append((503, {}, {"title": "Service Unavailable"}))
        posts.create(db, posts.NewPost("x", "Hello", datetime.fromtimestamp(T0, tz=timezone.utc), "a"), ANA, T0 - 60)
        [result] = Publisher(db, {"x": XChannel(client)}, "pub", clock=lambda: T0 + 1).run_once()
        assert len(fake.requests) == 1
        assert result.detail.startswith("outcome unknown: X answered HTTP 503 after receiving the post")
    finally:
        fake.close()
