"""Narratives with the default engine (minilm-ft): topic vectors from the
encoder's word-embedding table, not its sentiment-trained pooled output.
Uses the shipped weights (they load offline)."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from crisis import narrative_store as ns
from crisis import narratives as nar
from sentiment import topic_vectors as tv
from sentiment.finetuned_model import load_tokenizer
from store.schema import narrative_members
from tests.test_narratives import CALM, LEAK, SUPPORT, T, post, stored


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from sentiment.finetuned import FineTunedEngine

    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield FineTunedEngine(cache_dir=tmp_path_factory.mktemp("ft-data"), runtime="torch", threads=1)
    mp.undo()


@pytest.fixture
def sqlite_db(tmp_path):
    from store.connection import connect
    from store.migrate import upgrade

    db = connect(f"sqlite:///{tmp_path / 'narratives.sqlite3'}")
    upgrade(db)
    yield db
    db.dispose()


def test_hashtags_are_split_and_links_handles_reposts_dropped():
    assert tv.clean("RT @x: So #TidewellLeak is bad https://t.co/x #privacy_first").split() == [
        ":",
        "So",
        "Tidewell",
        "Leak",
        "is",
        "bad",
        "privacy",
        "first",
    ]


def test_weights_follow_frequency_rank_and_skip_stop_words_and_punctuation():
    tok = load_tokenizer()
    vocab = tok.get_vocab()
    w = tv.token_weights(vocab, len(vocab))
    assert w[vocab["the"]] == 0 and w[vocab["."]] == 0 and w[vocab["[CLS]"]] == 0
    assert 0 < w[vocab["house"]] < w[vocab["camera"]] < w[vocab["bucket"]] < 1


def test_topic_vectors_group_by_story_not_by_tone():
    """Two angry stories stay apart; a calm and an angry post about the leak are nearer
    than two angry posts about different things (the pooled output does the opposite)."""
    topics = tv.TopicVectors(load_tokenizer())
    v = topics(
        [
            "Tidewell left customers' camera videos on an unprotected public server, disgusting",
            "Read the report about Tidewell camera videos on a public server, interesting",
            "Tidewell support hotline kept me on hold for two hours, disgusting",
        ]
    )
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_the_engine_exposes_topic_vectors_through_every_wrapper(engine):
    from sentiment.language import LanguageRoutedEngine
    from sentiment.rules import PhraseRules, RuledEngine

    wrapped = LanguageRoutedEngine(RuledEngine(engine, PhraseRules({})), ["en"])
    vectors, kind = ns.vectors_for(wrapped, ["camera clips leaked", "refund please"])
    assert kind == engine.vector_kind == "minilm-tok" and vectors.shape == (2, 384)
    assert np.allclose(vectors, engine.topics(["camera clips leaked", "refund please"]))


def test_near_duplicates_and_reposts_collapse_and_stories_stay_apart(sqlite_db, engine):
    db = sqlite_db
    texts = CALM + LEAK + SUPPORT + ["my tidewell indoor cam clips are PUBLICLY viewable online!! unreal"]
    vectors = engine.embeddings_for(texts)
    posts = stored(db, [post(i, t, at=T + i) for i, t in enumerate(texts)])
    ns.absorb(db, posts[: len(CALM)], vectors[: len(CALM)], engine.vector_kind, T)
    ns.absorb(db, posts[len(CALM) :], vectors[len(CALM) :], engine.vector_kind, T + 60)
    with db.connect() as conn:
        story_of = dict(
            conn.execute(sa.select(narrative_members.c.external_id, narrative_members.c.narrative_id)).all()
        )
    by_text = {p.text: story_of[p.external_id] for p in posts}
    # reposts, links, case, punctuation: one story with what they copy
    assert by_text[LEAK[3]] == by_text[LEAK[4]] == by_text[LEAK[0]]
    assert by_text[texts[-1]] == by_text[LEAK[2]]  # a near-copy with shouting and typos
    # paraphrases group less than with sentence embeddings, but two stories never merge
    assert {by_text[t] for t in SUPPORT}.isdisjoint({by_text[t] for t in LEAK})
    top = ns.top_narratives(db, T + 120)
    assert top[0]["text"] in LEAK and not top[0]["text"].startswith("RT")


def test_the_drill_s_top_narrative_is_the_leak_with_a_real_post_with_the_default_engine(engine, monkeypatch):
    """The bundled drill 25 minutes in, 60 s polls, labels and vectors from the shipped
    default engine (scores the drill's distinct texts once: ~20-40 s on 2 cores)."""
    import json

    from bench import narratives as bn
    from tests.conftest import ROOT

    monkeypatch.setattr(bn, "drill_engine", lambda name: engine)
    top = bn.drill(1500, "minilm-ft", limit=3)
    lines = [json.loads(line) for line in (ROOT / "scenarios" / "tidewell-camera-leak.jsonl").open()][1:]
    assert top[0]["text"] in {
        x["text"] for x in lines if "text" in x and x.get("source") != "slack"
    }  # a real outside post
    assert any(w in top[0]["text"].lower() for w in ("leak", "clips", "open server", "exposed", "bucket"))
    assert top[0]["negative_share"] > 0.8 and top[0]["posts"] >= 60 and top[0]["growth"] == "new this hour"
    assert nar.THRESHOLDS[engine.vector_kind] > 0
