"""The VADER engine labels obvious sentences correctly."""

import pytest

from model.score import Score
from sentiment.lexicon import VaderEngine


@pytest.fixture(scope="module")
def engine():
    return VaderEngine()


def test_labels_of_obvious_sentences(engine):
    texts = [
        "I love this, it is wonderful and works great!",
        "This is terrible, awful and a disgusting failure.",
        "The store opens at 9am on Monday.",
    ]
    assert [s.label for s in engine.score(texts)] == ["positive", "negative", "neutral"]


def test_scores_lie_in_range_and_agree_with_labels(engine):
    scores = engine.score(["great", "horrible", "table", "", "I hate this 😡 never again"])
    assert all(-1 <= s.score <= 1 for s in scores)
    assert scores[0].score > 0 > scores[1].score
    assert scores[3] == Score("neutral", 0.0)
    assert scores[4].label == "negative"


def test_batch_equals_one_by_one(engine):
    texts = ["good", "bad", "meh", "Unplugging every camera now. Never again."]
    assert engine.score(texts) == [engine.score([t])[0] for t in texts]


def test_engine_identity(engine):
    assert engine.name == "vader"
    assert engine.version == "3.3.2"


def test_score_rejects_unknown_labels_and_out_of_range():
    with pytest.raises(ValueError):
        Score("angry", 0.0)
    with pytest.raises(ValueError):
        Score("negative", -1.5)
