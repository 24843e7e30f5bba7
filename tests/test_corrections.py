"""Corrections win everywhere; rescoring moves messages between rollups."""

import sqlalchemy as sa

from access import service
from model.score import Score
from sentiment.rescore import rescore
from sentiment.rules import PhraseRules, RuledEngine
from store import queries
from store.connection import write
from store.ingest import store_messages
from store.schema import label_corrections, messages, rollups_minute
from tests.actors import ANA, BEN
from tests.conftest import message
from worker.runner import Runner

T = 1_800_000_000


class KeywordEngine:
    """negative if 'bad' in the text, positive if 'good', else neutral."""

    def __init__(self, name="kw", version="1"):
        self.name, self.version, self.calls = name, version, []

    def score(self, texts):
        self.calls.append(list(texts))
        return [
            Score("negative", -0.9) if "bad" in t else Score("positive", 0.9) if "good" in t else Score("neutral", 0.0)
            for t in texts
        ]


def fill(db, texts, engine=None, scores=None):
    batch = [message(str(i), text, at=T + i) for i, text in enumerate(texts)]
    with write(db) as conn:
        if scores is None:
            engine = engine or KeywordEngine()
            scores = engine.score(texts)
            store_messages(conn, batch, scores, (engine.name, engine.version), T)
        else:
            store_messages(conn, batch, scores, None, T)
    with db.connect() as conn:
        return dict(conn.execute(sa.select(messages.c.external_id, messages.c.id)).all())


def rollup_counts(db):
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(rollups_minute.c.label, sa.func.sum(rollups_minute.c.count)).group_by(rollups_minute.c.label)
        ).all()
    return {label: int(n) for label, n in rows if n}


def effective_labels(db):
    m = messages.c
    with db.connect() as conn:
        return dict(
            conn.execute(sa.select(m.external_id, sa.func.coalesce(m.label_override, m.label, "unscored"))).all()
        )


def test_a_correction_wins_in_rollups_and_lists(db):
    ids = fill(db, ["good day", "bad day", "a day"])
    assert rollup_counts(db) == {"positive": 1, "negative": 1, "neutral": 1}
    assert service.correct_labels(db, [ids["0"]], "negative", ANA, now=T + 100) == 1
    assert rollup_counts(db) == {"negative": 2, "neutral": 1}
    latest = queries.latest_messages(db, 10)
    assert latest.loc[latest["text"] == "good day", "label"].item() == "negative"
    # Removing the correction gives the engine's label back.
    assert service.correct_labels(db, [ids["0"]], None, ANA, now=T + 200) == 1
    assert rollup_counts(db) == {"positive": 1, "negative": 1, "neutral": 1}


def test_bulk_correction_counts_only_changes_and_keeps_history(db):
    ids = fill(db, ["good", "bad", "meh", "fine"])
    assert service.correct_labels(db, list(ids.values()), "neutral", ANA, now=T + 1) == 4
    assert (
        service.correct_labels(db, list(ids.values()), "neutral", BEN, now=T + 2) == 0
    )  # nothing changed, nothing recorded
    assert service.correct_labels(db, [ids["1"]], "negative", BEN, now=T + 3) == 1
    assert rollup_counts(db) == {"neutral": 3, "negative": 1}
    with db.connect() as conn:
        history = conn.execute(sa.select(label_corrections).order_by(label_corrections.c.id)).all()
    assert [(h.who, h.old_label, h.new_label) for h in history] == [("ana", None, "neutral")] * 4 + [
        ("ben", "neutral", "negative")
    ]
    assert history[-1].model_label == "negative"
    recent = queries.recent_corrections(db, 2)
    assert list(recent["who"]) == ["ben", "ana"]


def test_agreement_on_corrected_messages(db):
    ids = fill(db, ["good", "good too", "bad", "plain", "plain too"])
    service.correct_labels(db, [ids["0"], ids["3"]], "positive", ANA, now=T)  # agrees on 0, not on 3 (neutral)
    service.correct_labels(db, [ids["2"]], "negative", ANA, now=T)  # agrees
    n, agreement, per_class = queries.correction_agreement(db)
    assert n == 3
    assert agreement == 2 / 3
    per = per_class.set_index("label")
    assert per.loc["positive", "corrected"] == 2 and per.loc["positive", "recall"] == 0.5
    assert per.loc["negative", "recall"] == 1.0
    assert per.loc["neutral", "corrected"] == 0


def test_rescoring_updates_labels_and_rollups_but_not_corrections(db):
    ids = fill(db, ["good", "bad", "plain", "bad again"], scores=[Score("neutral", 0.0)] * 4)
    service.correct_labels(db, [ids["1"]], "positive", ANA, now=T)  # a person disagrees with any engine
    engine = KeywordEngine("kw2", "2")
    seen = []
    assert rescore(db, engine, batch_size=3, progress=lambda done, total: seen.append((done, total))) == 4
    assert seen == [(3, 4), (4, 4)]
    assert effective_labels(db) == {"0": "positive", "1": "positive", "2": "neutral", "3": "negative"}
    assert rollup_counts(db) == {"positive": 2, "neutral": 1, "negative": 1}
    with db.connect() as conn:
        engines = set(conn.execute(sa.select(messages.c.engine, messages.c.engine_version)).all())
        model_label = conn.execute(sa.select(messages.c.label).where(messages.c.id == ids["1"])).scalar()
    assert engines == {("kw2", "2")}
    assert model_label == "negative"  # the engine's own view is kept beside the correction


def test_rescoring_only_unscored_and_the_runner_doing_it(db, clock):
    fill(db, ["good", "bad"], scores=[None, None])
    assert rollup_counts(db) == {"unscored": 2}
    runner = Runner(db, [], KeywordEngine(), clock=clock, batch_size=10)
    assert runner.rescore_unscored() == 2
    assert rollup_counts(db) == {"positive": 1, "negative": 1}
    assert runner.rescore_unscored() == 0


def test_runner_backs_off_when_rescoring_keeps_failing(db, clock):
    fill(db, ["good"], scores=[None])

    class Broken(KeywordEngine):
        def score(self, texts):
            raise RuntimeError("CUDA out of memory")

    runner = Runner(db, [], Broken(), clock=clock)
    assert runner.rescore_unscored() == 0
    clock.advance(30)
    assert runner.rescore_unscored() == 0  # not retried yet
    runner.engine = KeywordEngine()
    clock.advance(31)
    assert runner.rescore_unscored() == 1


def test_phrase_rules_come_before_the_model(db, clock):
    inner = KeywordEngine()
    engine = RuledEngine(inner, PhraseRules({"war room": "neutral", "killer deal": "positive"}))
    texts = ["bad news in the War  Room", "good", "our KILLER DEAL is bad", "warroom bad"]
    scores = engine.score(texts)
    assert [s.label for s in scores] == ["neutral", "positive", "positive", "negative"]
    assert inner.calls == [["good", "warroom bad"]]  # matched texts never reach the model
    assert scores[0].engine == ("rules", engine.rules.version)
    batch = [message(str(i), t, at=T) for i, t in enumerate(texts)]
    with write(db) as conn:
        store_messages(conn, batch, scores, (engine.name, engine.version), T)
    with db.connect() as conn:
        stored = dict(conn.execute(sa.select(messages.c.external_id, messages.c.engine)).all())
    assert stored == {"0": "rules", "1": "kw", "2": "rules", "3": "kw"}


def test_rules_are_validated():
    import pytest

    with pytest.raises(ValueError, match="label must be one of"):
        PhraseRules({"war room": "calm"})
    assert not PhraseRules({})
