"""engine = "auto" and its explicit fallback chain, with reasons."""

import http.server
import threading

import pytest

from sentiment import loader
from sentiment.lexicon import VaderEngine
from sentiment.loader import EngineUnavailable, load_engine
from tests.conftest import write_config
from tests.tiny_model import save_tiny_model


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def settings_with(tmp_path):
    from settings import load_settings

    def make(sentiment_toml: str, languages: str = "[]"):
        # No language routing unless a test asks: descriptions stay about the engine.
        text = f"[app]\ndata_dir = '{tmp_path / 'data'}'\n[sentiment]\nlanguages = {languages}\n" + sentiment_toml
        return load_settings(write_config(tmp_path, text))

    return make


@pytest.fixture
def no_finetuned(monkeypatch):
    """As on a clone without sentiment/finetuned/ (the fine-tuned engine has tests of its own)."""
    import sentiment.finetuned

    def missing(**kwargs):
        raise FileNotFoundError("no fine-tuned weights")

    monkeypatch.setattr(sentiment.finetuned, "FineTunedEngine", missing)


@pytest.fixture
def no_minilm(monkeypatch, no_finetuned):
    """Keep these tests fast: a stand-in for the MiniLM engine."""

    class FakeMiniLM:
        name, version = "minilm-head", "test"

        def __init__(self, device=None):
            pass

        def score(self, texts):
            return VaderEngine().score(texts)

    import sentiment.minilm

    monkeypatch.setattr(sentiment.minilm, "MiniLMHeadEngine", FakeMiniLM)


def test_auto_without_the_hub_model_uses_minilm_and_says_why(settings_with, no_minilm):
    choice = load_engine(settings_with('engine = "auto"\nmodel = "cardiffnlp/twitter-roberta-base-sentiment-latest"\n'))
    assert choice.kind == "minilm"
    assert choice.description == (
        "MiniLM head (offline) - cardiffnlp/twitter-roberta-base-sentiment-latest not available: "
        "not in the local cache (set [sentiment] download = true to fetch it) - "
        "fine-tuned MiniLM (offline) not available: no fine-tuned weights"
    )


def test_auto_with_a_local_model_uses_it(settings_with, tmp_path):
    model = save_tiny_model(tmp_path / "model", {0: "negative", 1: "neutral", 2: "positive"})
    choice = load_engine(settings_with(f'engine = "auto"\nmodel = "{model}"\n'))
    assert choice.kind == "transformer"
    assert choice.engine.name == f"transformer:{model}"
    assert choice.description == str(model)


def test_auto_falls_back_to_the_lexicon_when_minilm_fails(settings_with, monkeypatch, no_finetuned):
    import sentiment.minilm

    def broken(**kwargs):
        raise FileNotFoundError("minilm_head.json is missing")

    monkeypatch.setattr(sentiment.minilm, "MiniLMHeadEngine", broken)
    choice = load_engine(settings_with('engine = "auto"\nmodel = ""\n'))
    assert choice.kind == "vader"
    assert choice.description == (
        "VADER lexicon -  not available: no model configured - fine-tuned MiniLM (offline) not available: "
        "no fine-tuned weights - MiniLM head (offline) not available: minilm_head.json is missing"
    )


def test_asking_for_one_engine_gets_it_or_its_reason(settings_with, tmp_path):
    assert load_engine(settings_with('engine = "vader"\n')).engine.name == "vader"
    with pytest.raises(EngineUnavailable, match="not in the local cache"):
        load_engine(settings_with('engine = "transformer"\nmodel = "someone/not-cached"\n'))


def test_download_is_not_tried_when_offline(settings_with, no_minilm):
    choice = load_engine(settings_with('model = "someone/not-cached"\ndownload = true\n'))
    assert "not in the local cache and HF_HUB_OFFLINE is set" in choice.description


def test_auto_prefers_the_fine_tuned_engine_with_its_settings(settings_with, monkeypatch):
    import sentiment.finetuned

    seen = {}

    class FakeFineTuned:
        name, version = "minilm-ft", "test/onnx"

        def __init__(self, **kwargs):
            seen.update(kwargs)

        def score(self, texts):
            return VaderEngine().score(texts)

    monkeypatch.setattr(sentiment.finetuned, "FineTunedEngine", FakeFineTuned)
    settings = settings_with('model = ""\nthreads = 3\nruntime = "onnx-int8"\n')
    choice = load_engine(settings)
    assert choice.kind == "minilm-ft" and choice.engine.name == "minilm-ft"
    assert seen == {"cache_dir": settings.data_dir, "runtime": "onnx-int8", "threads": 3}


def test_languages_route_other_posts_and_say_where_they_go(settings_with):
    from model.score import UNSCORED_LANGUAGE

    choice = load_engine(settings_with('engine = "vader"\nmultilingual_model = "someone/not-cached"\n', '["en"]'))
    assert choice.description == "VADER lexicon"
    assert choice.languages == "posts not in en: unscored: language (multilingual model not on this machine)"
    labels = [s.label for s in choice.engine.score(["Meine Karte wurde zweimal belastet, keine Erstattung", "awful"])]
    assert labels == [UNSCORED_LANGUAGE, "negative"]


def test_the_engine_sets_torch_threads(settings_with, no_minilm):
    import torch

    torch.set_num_threads(2)
    load_engine(settings_with('engine = "minilm"\nthreads = 1\n'))
    assert torch.get_num_threads() == 1


def test_rules_wrap_the_chosen_engine(settings_with):
    choice = load_engine(settings_with('engine = "vader"\n[sentiment.rules]\n"war room" = "neutral"\n'))
    assert [s.label for s in choice.engine.score(["the war room is a disaster", "a disaster"])] == [
        "neutral",
        "negative",
    ]


class _Hub(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(404 if "missing" in self.path else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_hub(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    server.shutdown()


def test_hub_probe_reports_what_the_hub_said(local_hub):
    loader._hub_reachable("someone/model")  # 200: reachable
    with pytest.raises(EngineUnavailable, match="the hub answered 404 for someone/missing"):
        loader._hub_reachable("someone/missing")


def test_hub_probe_fails_fast_without_network(monkeypatch):
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="no network"):
        loader._hub_reachable("someone/model", timeout_s=2)
    assert time.monotonic() - started < 3


def test_the_shipped_default_on_a_machine_without_network_is_the_fine_tuned_minilm(tmp_path):
    from settings import load_settings
    from tests.conftest import ROOT

    shipped = (ROOT / "config.toml").read_text()
    # The shipped config, with its data dir in tmp and torch (no ONNX export and timing in a test).
    config = shipped.replace('runtime = "auto"', 'runtime = "torch"').replace(
        'data_dir = "data"', f'data_dir = "{tmp_path}"'
    )
    assert config != shipped
    choice = load_engine(load_settings(write_config(tmp_path, config)))
    assert choice.kind == "minilm-ft"
    assert choice.engine.name == "minilm-ft" and choice.engine.version.endswith("/torch")
    assert choice.description.startswith(
        "fine-tuned MiniLM (offline) - cardiffnlp/twitter-roberta-base-sentiment-latest not"
    )
    assert choice.languages == "posts not in en: unscored: language (multilingual model not on this machine)"


def test_the_fast_student_is_opt_in_and_loads_its_own_two_layers(tmp_path):
    """engine = "minilm-ft-fast" loads the distilled student, named apart so its labels are traceable;
    "auto" never picks it (the 6-layer model is the default the detector was tuned on)."""
    from settings import load_settings

    config = f'[app]\ndata_dir = "{tmp_path}"\n[sentiment]\nengine = "minilm-ft-fast"\nruntime = "torch"\n'
    choice = load_engine(load_settings(write_config(tmp_path, config)))
    engine = getattr(choice.engine, "engine", choice.engine)
    assert choice.kind == "minilm-ft-fast" and engine.name == "minilm-ft-fast"
    assert engine.meta["layers"] == 2 and engine.meta["intermediate_size"] == 768
    assert choice.description.startswith("distilled 2-layer MiniLM (offline, fast)")
    assert "minilm-ft-fast" not in loader.ORDER
    default = load_engine(
        load_settings(
            write_config(
                tmp_path, f'[app]\ndata_dir = "{tmp_path}"\n[sentiment]\nengine = "minilm-ft"\nruntime = "torch"\n'
            )
        )
    )
    default_engine = getattr(default.engine, "engine", default.engine)
    assert "layers" not in default_engine.meta  # all six
    assert default_engine.version.split("/")[0] != engine.version.split("/")[0]


def test_a_multilingual_model_on_this_machine_scores_the_other_languages(settings_with, tmp_path):
    model = save_tiny_model(tmp_path / "xlm", {0: "negative", 1: "neutral", 2: "positive"})
    choice = load_engine(settings_with(f'engine = "vader"\nmultilingual_model = "{model}"\n', '["en"]'))
    assert choice.languages == f"posts not in en: {model}"
    german = choice.engine.score(["Meine Karte wurde zweimal belastet, keine Erstattung"])[0]
    assert german.engine[0] == f"transformer:{model}" and german.label in ("negative", "neutral", "positive")
