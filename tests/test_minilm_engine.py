"""The offline default: packaged MiniLM encoder + the shipped head."""

import json

import numpy as np
import pytest

from sentiment.minilm import HEAD_PATH, LinearHead, MiniLMHeadEngine
from sentiment.preprocess import for_model


@pytest.fixture(scope="module")
def engine():
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")  # must load with no network at all
    yield MiniLMHeadEngine()
    mp.undo()


def test_obvious_sentences(engine):
    texts = [
        "I love my new camera, best purchase ever! Thank you!",
        "Absolutely furious. My private videos leaked online. Never again, worst company.",
        "This is awful and disgusting, I hate it.",
        "Such a wonderful, happy day with great friends :)",
    ]
    assert [s.label for s in engine.score(texts)] == ["positive", "negative", "negative", "positive"]
    scores = engine.score(texts)
    assert scores[0].score > 0.5 and scores[1].score < -0.5


def test_embeddings_are_unit_length_and_batching_does_not_change_them(engine):
    texts = ["short", "a somewhat longer sentence about cameras", "@user see http"]
    together = engine.encoder.embed(texts)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.vstack([engine.encoder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_engine_identity_names_encoder_and_head(engine):
    assert engine.name == "minilm-head"
    assert engine.version.startswith("all-MiniLM-L6-v2@gt-0.1.0+head-")
    assert engine.version.endswith(LinearHead(HEAD_PATH).digest)
    assert engine.encoder.device == "cpu"
    assert engine.score([]) == []


def test_shipped_head_is_small_and_says_how_it_was_made():
    data = json.loads(HEAD_PATH.read_text())
    assert HEAD_PATH.stat().st_size < 64_000
    assert data["classes"] == ["negative", "neutral", "positive"]
    assert data["command"] == "python -m sentiment.train_head"
    assert data["val_macro_recall"] >= 0.65
    assert np.asarray(data["weights"]).shape == (3, 388)


def test_head_probabilities_sum_to_one():
    head = LinearHead(HEAD_PATH)
    x = np.random.default_rng(0).normal(size=(4, 388)).astype(np.float32)
    np.testing.assert_allclose(head.probabilities(x).sum(axis=1), 1.0, rtol=1e-5)


def test_head_with_a_zero_scale_is_refused(tmp_path):
    data = json.loads(HEAD_PATH.read_text())
    data["scale"][5] = 0.0
    path = tmp_path / "head.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="inconsistent head"):
        LinearHead(path)


def test_head_with_wrong_classes_is_refused(tmp_path):
    data = json.loads(HEAD_PATH.read_text())
    data["classes"] = ["bad", "meh", "good"]
    path = tmp_path / "head.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="classes must be"):
        LinearHead(path)


def test_the_embeddings_made_while_scoring_are_handed_to_narratives_not_encoded_again(engine, monkeypatch):
    texts = ["Tidewell left camera clips on an open server", "@a my doorbell works https://x.example"]
    engine.score(texts)
    calls = []
    real = engine.encoder.embed
    monkeypatch.setattr(engine.encoder, "embed", lambda batch: calls.append(list(batch)) or real(batch))
    vectors = engine.embeddings_for(texts)
    assert calls == []  # from memory: nothing encoded twice
    np.testing.assert_allclose(vectors, real([for_model(t) for t in texts]), atol=1e-5)
    again = engine.embeddings_for(texts[:1])  # handed over once: a second ask encodes
    assert calls == [[for_model(texts[0])]] and np.allclose(again[0], vectors[0], atol=1e-5)
