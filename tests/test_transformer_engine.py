"""The transformers engine, on tiny random models the tests save themselves."""

import numpy as np
import pytest

from model.score import LABELS
from sentiment import device as device_module
from sentiment.preprocess import for_model
from sentiment.transformer import TransformerEngine, UnknownLabels, label_mapping, load_transformer
from tests.tiny_model import save_tiny_model

THREE = {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
TEXTS = ["i love this camera", "awful terrible leak never again", "the meeting is at noon", "good news today", ""]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny3"), THREE)


@pytest.fixture(scope="module")
def engine(tiny_dir):
    return TransformerEngine(str(tiny_dir), batch_size=2, max_length=16, local_files_only=True)


@pytest.mark.parametrize(
    "id2label, expected",
    [
        (THREE, [("negative", -1), ("neutral", 0), ("positive", 1)]),
        ({0: "LABEL_0", 1: "LABEL_1"}, [("negative", -1), ("positive", 1)]),
        ({0: "negative", 1: "neutral", 2: "positive"}, [("negative", -1), ("neutral", 0), ("positive", 1)]),
        ({0: "Negative", 1: "Neutral", 2: "Positive"}, [("negative", -1), ("neutral", 0), ("positive", 1)]),
        ({0: "POS", 1: "NEG", 2: "NEU"}, [("positive", 1), ("negative", -1), ("neutral", 0)]),
        (
            {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
            [("negative", -1), ("negative", -0.5), ("neutral", 0), ("positive", 0.5), ("positive", 1)],
        ),
        (
            {i: f"LABEL_{i}" for i in range(5)},
            [("negative", -1), ("negative", -0.5), ("neutral", 0), ("positive", 0.5), ("positive", 1)],
        ),
        ({0: "very_negative", 1: "very_positive"}, [("negative", -1), ("positive", 1)]),
    ],
)
def test_label_names_are_normalised(id2label, expected):
    assert label_mapping(id2label) == expected


@pytest.mark.parametrize("id2label", [{0: "joy", 1: "anger"}, {i: f"LABEL_{i}" for i in range(4)}])
def test_unknown_label_names_are_refused_with_the_names(id2label):
    with pytest.raises(UnknownLabels, match="my-model"):
        label_mapping(id2label, "my-model")


def test_engine_loads_offline_and_scores(engine, tiny_dir):
    scores = engine.score(TEXTS)
    assert len(scores) == len(TEXTS)
    assert {s.label for s in scores} <= set(LABELS)
    assert len({s.label for s in scores}) >= 2  # the sharpened random model is not constant
    probs = engine.probabilities(TEXTS)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    for score, p in zip(scores, probs):
        assert score.label == LABELS[int(np.argmax(p))]
        assert score.score == pytest.approx(p[2] - p[0])
    assert engine.name == f"transformer:{tiny_dir}"
    assert engine.version.startswith("local-")


def test_batching_equals_one_by_one(engine):
    together = engine.probabilities(TEXTS)
    alone = np.vstack([engine.probabilities([t]) for t in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    batched, single = engine.score(TEXTS), [engine.score([t])[0] for t in TEXTS]
    assert [s.label for s in batched] == [s.label for s in single]
    assert [s.score for s in batched] == pytest.approx([s.score for s in single], abs=1e-5)


def test_long_texts_are_truncated_to_max_length(engine):
    words = ("i love this camera awful leak " * 2000).split()
    long_text = " ".join(words)
    # [CLS] + 14 words + [SEP] = max_length 16: the rest must not matter.
    np.testing.assert_allclose(
        engine.probabilities([long_text]), engine.probabilities([" ".join(words[:14])]), atol=1e-6
    )
    assert engine.probabilities([" ".join(words[:14])]).shape == (1, 3)


def test_star_model_score_is_the_expected_polarity(tmp_path):
    stars = {i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}
    engine = TransformerEngine(str(save_tiny_model(tmp_path / "stars", stars)), local_files_only=True)
    probs = engine.probabilities(TEXTS)
    for score, p in zip(engine.score(TEXTS), probs):
        assert score.score == pytest.approx(float(p @ np.array([-1, -0.5, 0, 0.5, 1])))
        assert score.label == LABELS[int(np.argmax([p[0] + p[1], p[2], p[3] + p[4]]))]


def test_preprocessing_follows_the_model_cards():
    assert for_model("@TidewellHome see https://x.example/a?b=1 and www.foo.example") == "@user see http and http"
    assert for_model("mail me at a@b.example, @ada@social.example") == "mail me at a@b.example, @user"


def test_device_choice(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device_module.choose_device() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device_module.choose_device() == "cuda"
    assert device_module.choose_device("cpu") == "cpu"


def test_engine_runs_on_the_chosen_device(engine):
    assert engine.device == "cpu"  # no GPU on this machine
    assert str(next(engine.model.parameters()).device) == "cpu"


def test_a_model_is_loaded_once_per_process(tiny_dir):
    first = load_transformer(str(tiny_dir), local_files_only=True)
    assert load_transformer(str(tiny_dir), local_files_only=True) is first
