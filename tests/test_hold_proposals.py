"""The proposal to hold posts is a stored object that waits for a person: made
by the detector at CRISIS (never at WATCH, never on good news) or by a
person's declaration, it survives every later evaluation, grows with newly due
posts, and ends only when a person accepts it (exactly its posts are held) or
dismisses it. Two people deciding at once: exactly one wins. While the level is
CRISIS, the publisher holds due posts by itself (in drills by default)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from access.roles import NotAllowed
from bench.detection import T0, scored_messages
from crisis.detector import Detector, crisis_status
from crisis.presets import PRESETS
from model.message import Message
from model.score import Score
from publishing import proposals
from publishing.channels import DryRunChannel
from publishing.posts import NewPost, act, create
from publishing.publisher import Publisher
from sentiment.lexicon import VaderEngine
from settings.schema import AppMode, AppSettings, AutoHold, PublishingSettings, Settings
from store.audit import AuditFilter, search
from store.connection import write
from store.ingest import store_messages
from store.schema import scheduled_posts as sp
from tests.actors import ANA, BEN, EDDIE
from tests.conftest import ROOT
from worker.service import build_publisher

SCENARIO = ROOT / "scenarios" / "tidewell-camera-leak.jsonl"
PROMO = "Black Friday killer deal: Tidewell Cam Indoor 40% off. Never miss a moment at home!"
TERMS = ("killer deal", "disaster")


@pytest.fixture(scope="module")
def drill():
    return scored_messages(SCENARIO, VaderEngine())


def post(db, at_s: float, text: str = "Our winter sale starts today") -> int:
    when = datetime.fromtimestamp(at_s, tz=timezone.utc)
    return create(db, NewPost("x", text, when, "social@tidewell"), ANA, T0 - 3600)


def status_of(db, post_id: int):
    with db.connect() as conn:
        return conn.execute(sa.select(sp.c.status, sp.c.status_reason).where(sp.c.id == post_id)).one()


def actions(db) -> list[str]:
    return list(search(db, AuditFilter(0, 1e12), 500)[1]["action"])


def store_drill(db, drill, until_s: float) -> None:
    _, msgs, scores, engine = drill
    batch = [(m, s) for m, s in zip(msgs, scores) if m.created_at.timestamp() <= T0 + until_s]
    with write(db) as conn:
        store_messages(conn, [m for m, _ in batch], [s for _, s in batch], (engine.name, engine.version), T0)


def evaluate_until_crisis(detector: Detector, db, start_min: int = 0, last_min: int = 12) -> float:
    """Evaluate once a minute; returns the time of the evaluation that raised CRISIS."""
    for minute in range(start_min, last_min + 1):
        now = T0 + minute * 60 + 1
        change = detector.evaluate(now)
        if change is not None and change.new == 2:
            return now
        if crisis_status(db)["level"] == "watch":
            assert proposals.pending(db) is None  # never for WATCH
    raise AssertionError("the drill never reached CRISIS")


def test_the_detector_proposes_at_crisis_with_who_when_and_why(db, drill):
    store_drill(db, drill, 15 * 60)
    promo, later, far = post(db, T0 + 30 * 60, PROMO), post(db, T0 + 2 * 3600), post(db, T0 + 30 * 3600)
    detector = Detector(db, PRESETS["medium"], sensitive_terms=TERMS)
    raised_at = evaluate_until_crisis(detector, db)
    proposal = proposals.open_proposal(db)
    assert proposal is not None and proposal.status == "open"
    assert (proposal.origin, proposal.proposed_by, proposal.proposer()) == ("detector", "detector", "the detector")
    assert proposal.evaluated_minute == int(raised_at - raised_at % 60) and proposal.proposed_at == raised_at
    assert proposal.trigger.startswith("CRISIS · ")
    assert proposal.post_ids == [promo, later]  # the one due in 30 h is not due soon
    reasons = {p.post_id: p.reasons for p in proposal.posts}
    assert "sensitive terms: 'killer deal'" in reasons[promo] and "due during an active crisis" in reasons[later]
    explanation = crisis_status(db)["explanation"]
    assert [p["id"] for p in explanation["hold_proposal"]] == [promo, later]  # what the alert lists
    assert explanation["hold_proposal_id"] == proposal.id
    log = search(db, AuditFilter(0, 1e12, kinds=["publishing"]), 10)[1]
    made = log[log["action"] == "publishing.hold_proposed"].iloc[0]
    assert (made["who"], made["target"]) == ("detector", f"hold proposal:{proposal.id}")
    assert status_of(db, far).status == "scheduled"


def test_the_proposal_survives_five_evaluations_and_grows_with_newly_due_posts(db, drill):
    store_drill(db, drill, 20 * 60)
    first = post(db, T0 + 3600)
    detector = Detector(db, PRESETS["medium"])
    raised_at = evaluate_until_crisis(detector, db)
    proposal = proposals.open_proposal(db)
    start = int(raised_at // 60) - T0 // 60 + 1
    for minute in range(start, start + 5):
        detector.evaluate(T0 + minute * 60 + 1)
        assert crisis_status(db)["level"] == "crisis"
        assert proposals.open_proposal(db) == proposal  # same id, version, posts: never replaced
    newly_due = post(db, T0 + (start + 5) * 60 + 3600)
    detector.evaluate(T0 + (start + 5) * 60 + 1)
    grown = proposals.open_proposal(db)
    assert (grown.id, grown.version, grown.post_ids) == (proposal.id, proposal.version + 1, [first, newly_due])
    assert actions(db).count("publishing.hold_proposed") == 1 and "publishing.hold_proposal_grew" in actions(db)


def test_good_news_never_makes_a_proposal(db):
    def put(rows, now):
        msgs = [
            Message("x", f"m{i}-{t}", datetime.fromtimestamp(T0 + t, tz=timezone.utc), f"t{i}", "", f"@u{i}", 300)
            for i, (t, label) in enumerate(rows)
        ]
        score = {"negative": Score("negative", -0.8), "neutral": Score("neutral", 0.0)}
        score["positive"] = Score("positive", 0.7)
        with write(db) as conn:
            store_messages(conn, msgs, [score[label] for _, label in rows], ("test", "1"), T0 + now)

    labels = ("neutral", "positive", "neutral", "negative")
    put([(t, labels[i % 4]) for i, t in enumerate(range(-4 * 3600, 0, 30))], 0)
    post(db, T0 + 3600)
    detector = Detector(db, PRESETS["medium"])
    detector.evaluate(T0 + 60)
    put([(60 + i, ("positive", "positive", "neutral", "negative")[i % 4]) for i in range(60)], 130)
    factors = []
    for minute in range(3, 8):
        detector.evaluate(T0 + minute * 60)
        status = crisis_status(db)
        assert status["level"] == "normal"
        factors.append((status["explanation"].get("surge") or {}).get("factor", 0))
    assert max(factors) > 5  # a surge five times normal, of good news
    assert proposals.pending(db) is None and proposals.decided(db) == []


def test_a_declaration_proposes_in_the_persons_name_and_standing_down_leaves_it_waiting(db):
    due = post(db, T0 + 600)
    detector = Detector(db, PRESETS["medium"])
    detector.declare(ANA, "a journalist called about the leak", T0)
    proposal = proposals.open_proposal(db)
    assert (proposal.origin, proposal.proposed_by, proposal.trigger) == (
        "declaration",
        "ana",
        "a journalist called about the leak",
    )
    assert proposal.proposer() == "ana (declared a crisis)" and proposal.evaluated_minute is None
    assert proposal.post_ids == [due]
    detector.stand_down(BEN, "false alarm", T0 + 120)
    assert proposals.open_proposal(db) == proposal  # it waits for a person, whatever the level does
    pending = proposals.pending(db)
    assert (pending.id, pending.posts, pending.origin, pending.proposed_by) == (proposal.id, 1, "declaration", "ana")


def open_one(db, *due_at: float, now: float = T0) -> proposals.Proposal:
    ids = [post(db, at) for at in due_at]
    with write(db) as conn:
        proposals.propose_in(
            conn, level=2, crisis_since=T0, now=now, by="detector", origin="detector", trigger="CRISIS · test"
        )
    proposal = proposals.open_proposal(db)
    assert proposal is not None, "a proposal was opened"
    assert sorted(proposal.post_ids) == sorted(ids)
    return proposal


def test_accepting_holds_exactly_the_proposed_posts(db):
    proposal = open_one(db, T0 + 600, T0 + 1200, T0 + 1800)
    a, b, c = proposal.post_ids
    act(db, [b], "hold", BEN, T0 + 10, "already on it")
    other = post(db, T0 + 2400)  # scheduled after the proposal was made: not in it
    held = proposals.accept(db, proposal.id, EDDIE, T0 + 20, seen_version=proposal.version, note="agreed")
    assert sorted(held) == [a, c]
    assert [status_of(db, i).status for i in (a, b, c, other)] == ["held", "held", "held", "scheduled"]
    assert status_of(db, a).status_reason == "hold proposal #1 accepted (proposed by the detector)"
    done = proposals.get(db, proposal.id)
    assert (done.status, done.decided_by, done.decided_at, done.decision_note) == (
        "accepted",
        "eddie",
        T0 + 20,
        "agreed",
    )
    assert {p.post_id: p.outcome for p in done.posts} == {a: "held", b: "already held", c: "held"}
    assert proposals.open_proposal(db) is None and proposals.pending(db) is None
    log = search(db, AuditFilter(0, 1e12), 50)[1]
    accepted = log[log["action"] == "publishing.hold_accepted"].iloc[0]
    assert (accepted["who"], accepted["target"], accepted["reason"]) == ("eddie", "hold proposal:1", "agreed")
    assert sorted(log[(log["action"] == "post.hold") & (log["who"] == "eddie")]["target"]) == [f"post:{a}", f"post:{c}"]


def test_dismissing_needs_a_lead_and_a_reason_and_lets_the_posts_go(db):
    proposal = open_one(db, T0 + 600)
    with pytest.raises(NotAllowed, match="dismiss a proposal to hold posts needs the role lead"):
        proposals.dismiss(db, proposal.id, EDDIE, "fine", T0 + 5, seen_version=proposal.version)
    with pytest.raises(ValueError, match="needs a reason"):
        proposals.dismiss(db, proposal.id, ANA, "  ", T0 + 5, seen_version=proposal.version)
    assert proposals.open_proposal(db) == proposal
    proposals.dismiss(db, proposal.id, ANA, "the sale is unrelated", T0 + 6, seen_version=proposal.version)
    assert status_of(db, proposal.post_ids[0]).status == "scheduled"
    assert proposals.get(db, proposal.id).status == "dismissed" and proposals.pending(db) is None
    assert "publishing.hold_dismissed" in actions(db)


def test_a_decision_on_a_proposal_that_grew_since_it_was_seen_is_refused(db):
    proposal = open_one(db, T0 + 600)
    extra = post(db, T0 + 900)
    with write(db) as conn:
        proposals.propose_in(conn, level=2, crisis_since=T0, now=T0 + 60, by="detector", origin="detector", trigger="")
    with pytest.raises(proposals.ProposalConflict, match="changed since you saw it: it now names 2 post"):
        proposals.accept(db, proposal.id, ANA, T0 + 70, seen_version=proposal.version)
    assert status_of(db, extra).status == "scheduled" and proposals.open_proposal(db).version == proposal.version + 1


def test_after_a_decision_the_same_crisis_proposes_only_posts_nobody_decided_on(db):
    proposal = open_one(db, T0 + 600)
    proposals.dismiss(db, proposal.id, ANA, "unrelated", T0 + 10, seen_version=proposal.version)
    with write(db) as conn:
        assert (
            proposals.propose_in(conn, level=2, crisis_since=T0, now=T0 + 60, by="d", origin="detector", trigger="")[0]
            is None
        )
    newer = post(db, T0 + 1200)
    with write(db) as conn:
        second, named = proposals.propose_in(
            conn, level=2, crisis_since=T0, now=T0 + 120, by="detector", origin="detector", trigger=""
        )
    assert second != proposal.id and [n["id"] for n in named] == [newer]
    with write(db) as conn:  # below CRISIS: never
        assert proposals.propose_in(conn, level=1, crisis_since=T0, now=T0, by="d", origin="detector", trigger="") == (
            None,
            [],
        )


@pytest.mark.parametrize("rounds", [4])
def test_accept_and_dismiss_at_the_same_moment_exactly_one_wins(db, rounds):
    for round_ in range(rounds):
        proposal = open_one(db, T0 + 600 + round_, now=T0 + round_ * 10)
        barrier = threading.Barrier(2)
        outcome: dict[str, object] = {}

        def decide(name, fn):
            barrier.wait()
            try:
                fn()
                outcome[name] = "won"
            except proposals.ProposalConflict as exc:
                outcome[name] = exc

        accept = threading.Thread(
            target=decide,
            args=("ana", lambda: proposals.accept(db, proposal.id, ANA, T0 + 1, seen_version=proposal.version)),
        )
        dismiss = threading.Thread(
            target=decide,
            args=(
                "ben",
                lambda: proposals.dismiss(db, proposal.id, BEN, "unrelated", T0 + 1, seen_version=proposal.version),
            ),
        )
        accept.start(), dismiss.start()
        accept.join(30), dismiss.join(30)
        winners = [name for name, result in outcome.items() if result == "won"]
        assert len(winners) == 1, outcome
        loser = "ben" if winners == ["ana"] else "ana"
        decided = proposals.get(db, proposal.id)
        verb = "accepted" if winners == ["ana"] else "dismissed"
        assert decided.status == verb and decided.decided_by == winners[0]
        assert f"was already {verb} by {winners[0]} at" in str(outcome[loser])
        assert outcome[loser].current.status == verb
        assert status_of(db, proposal.post_ids[0]).status == ("held" if verb == "accepted" else "scheduled")
        log = search(db, AuditFilter(0, 1e12, kinds=["publishing"]), 500)[1]
        assert len(log[log["target"] == f"hold proposal:{proposal.id}"]) == 2  # proposed, and one decision


def test_the_publisher_holds_a_promo_post_due_three_minutes_after_crisis_in_a_drill(db, drill, drill_config):
    _, settings = drill_config()
    assert settings.is_drill and settings.auto_hold_applies  # the default for drills
    store_drill(db, drill, 15 * 60)
    detector = Detector(db, PRESETS["medium"])
    raised_at = evaluate_until_crisis(detector, db)
    promo = post(db, raised_at + 180, PROMO)
    publisher = build_publisher(settings, db, "pub-1")
    publisher.clock = lambda: raised_at + 181
    assert publisher.run_once() == []
    since = datetime.fromtimestamp(crisis_status(db)["since"], tz=timezone.utc)
    assert status_of(db, promo) == ("held", f"held automatically: CRISIS since {since:%H:%M} UTC")
    log = search(db, AuditFilter(0, 1e12, kinds=["post"]), 10)[1]
    assert (log.iloc[0]["who"], log.iloc[0]["action"]) == ("publisher", "post.hold")
    assert publisher.channels["x"].sent == []


def test_without_auto_hold_or_below_crisis_due_posts_go_out(db):
    dry = DryRunChannel()
    Detector(db, PRESETS["medium"]).declare(ANA, "leak", T0)
    pid = post(db, T0 + 180)
    Publisher(db, {"x": dry}, "pub", clock=lambda: T0 + 181, auto_hold=False).run_once()
    assert status_of(db, pid).status == "published"
    Detector(db, PRESETS["medium"]).stand_down(ANA, "over", T0 + 200)
    calm = post(db, T0 + 300)
    Publisher(db, {"x": dry}, "pub", clock=lambda: T0 + 301, auto_hold=True).run_once()
    assert status_of(db, calm).status == "published" and len(dry.sent) == 2


def test_the_auto_hold_setting():
    def auto(mode: AutoHold, app_mode: AppMode) -> bool:
        return Settings(
            app=AppSettings(mode=app_mode), publishing=PublishingSettings(auto_hold_in_crisis=mode)
        ).auto_hold_applies

    assert PublishingSettings().auto_hold_in_crisis == "drill"
    assert [auto("drill", "drill"), auto("drill", "live"), auto("always", "live"), auto("never", "drill")] == [
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(ValidationError, match="auto_hold_in_crisis"):
        PublishingSettings(auto_hold_in_crisis="sometimes")


def test_a_drill_restart_empties_the_proposals_the_drill_made(drill_config):
    from store.schema import hold_proposal_posts, hold_proposals
    from worker.service import open_store, restart_drill

    _, settings = drill_config()
    db = open_store(settings)
    open_one(db, T0 + 600)
    restart_drill(db, settings, at_s=0)
    with db.connect() as conn:
        for table in (hold_proposals, hold_proposal_posts):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0, table.name
    assert proposals.pending(db) is None


def test_a_post_a_lead_releases_during_the_crisis_goes_out_despite_the_automatic_hold(db):
    dry = DryRunChannel()
    Detector(db, PRESETS["medium"]).declare(ANA, "leak", T0)
    promo, statement = post(db, T0 + 180, PROMO), post(db, T0 + 190, "Our statement on the leak")
    publisher = Publisher(db, {"x": dry}, "pub", clock=lambda: T0 + 200, auto_hold=True)
    assert publisher.run_once() == []
    assert status_of(db, promo).status == status_of(db, statement).status == "held"
    act(db, [statement], "publish_now", BEN, T0 + 210, "the statement must go out")
    publisher.clock = lambda: T0 + 211
    [sent] = publisher.run_once()
    assert (sent.post_id, sent.status) == (statement, "published")
    assert status_of(db, promo).status == "held" and dry.sent[0][0] == "Our statement on the leak"
