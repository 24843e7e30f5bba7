"""The fine-tuned MiniLM: training writes a loadable delta, the engine runs it
with its own threads on torch or ONNX Runtime, and "auto" picks a runtime only
among those that agree with torch. Trained here for a few steps on a few
dozen posts (seconds), so the figures mean nothing; the plumbing is real."""

import json
import shutil

import numpy as np
import pytest

from sentiment import runtime as rt
from sentiment.finetuned import FineTunedEngine
from sentiment.finetuned_model import DELTA_NAME, META_NAME, load_finetuned
from sentiment.synthetic import generate

POSTS = [
    "charged twice and still no refund",
    "How long do international transfers take?",
    "wifi calling finally works, thanks!",
]


def _write_tsv(path, rows):
    path.write_text("label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from sentiment import train

    tmp = tmp_path_factory.mktemp("ft")
    rows = generate(48, seed=7)
    train_tsv = _write_tsv(tmp / "train.tsv", rows[:36])
    val_tsv = _write_tsv(tmp / "val.tsv", rows[36:])
    out = tmp / "model"
    best = train.main(
        [
            *("--train", str(train_tsv), "--val", str(val_tsv), "--out", str(out)),
            *("--synthetic", "8", "--batch-size", "8", "--max-length", "24", "--eval-every", "0", "--seed", "3"),
        ]
    )
    return out, best


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One data dir for the module: the ONNX export is made once."""
    return tmp_path_factory.mktemp("data")


def test_training_writes_a_delta_with_its_command_seed_and_figures(trained):
    out, best = trained
    meta = json.loads((out / META_NAME).read_text())
    assert meta["seed"] == 3 and meta["command"].startswith("python -m sentiment.train ")
    assert meta["val_macro_recall"] == best["val_macro_recall"] and 0.0 <= meta["val_macro_recall"] <= 1.0
    assert meta["train"] == "train.tsv (n=36) + sentiment.synthetic (n=8)"
    # Only the trained layers ship: no word embeddings (they come from the wheel).
    from safetensors import safe_open

    with safe_open(str(out / DELTA_NAME), "pt") as fh:
        keys = list(fh.keys())
        assert fh.get_tensor(keys[0]).dtype.is_floating_point and "float16" in str(fh.get_tensor(keys[0]).dtype)
    assert not [k for k in keys if k.startswith("encoder.embeddings.")]
    assert "classifier.weight" in keys


def test_a_damaged_delta_is_refused_with_its_reason(trained, tmp_path):
    out, _ = trained
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / META_NAME).write_text((out / META_NAME).read_text())
    (copy / DELTA_NAME).write_bytes((out / DELTA_NAME).read_bytes()[:-10])
    with pytest.raises(ValueError, match="digest does not match"):
        load_finetuned(copy)
    with pytest.raises(FileNotFoundError, match="run python -m sentiment.train"):
        load_finetuned(tmp_path / "nothing")


def test_torch_and_onnx_agree_and_the_engine_sets_its_threads(trained, cache):
    import torch

    out, _ = trained
    torch.set_num_threads(2)
    on_torch = FineTunedEngine(folder=out, cache_dir=cache, runtime="torch", threads=1)
    assert torch.get_num_threads() == 1
    on_onnx = FineTunedEngine(folder=out, cache_dir=cache, runtime="onnx", threads=1)
    assert on_onnx.runner.session.get_session_options().intra_op_num_threads == 1
    np.testing.assert_allclose(on_torch.probabilities(POSTS), on_onnx.probabilities(POSTS), atol=1e-4)
    assert on_onnx.version.endswith("/onnx") and on_torch.version.split("/")[0] == on_onnx.version.split("/")[0]
    # One post alone scores as it does in a batch (padding does not leak in).
    alone = np.vstack([on_onnx.probabilities([p]) for p in POSTS])
    np.testing.assert_allclose(alone, on_onnx.probabilities(POSTS), atol=1e-4)
    int8 = FineTunedEngine(folder=out, cache_dir=cache, runtime="onnx-int8", threads=1)
    assert [s.label for s in int8.score(POSTS)] and (cache / "models").is_dir()


def test_auto_picks_the_fastest_runtime_that_agrees_with_torch_and_caches_it(trained, cache, monkeypatch):
    out, _ = trained
    engine = FineTunedEngine(folder=out, cache_dir=cache, runtime="auto", threads=1)
    choice = engine.choice
    results = choice["results"]
    assert set(results) == set(rt.RUNTIMES) and results["torch"]["agreement"] == 1.0
    eligible = [r for r in rt.RUNTIMES if results[r]["as_accurate"]]
    assert engine.runtime == max(eligible, key=lambda r: results[r]["msgs_per_s"])
    for r in rt.RUNTIMES:
        ok = results[r]["agreement"] >= rt.MIN_AGREEMENT and results[r]["mean_prob_diff"] <= rt.MAX_PROB_DIFF
        assert results[r]["as_accurate"] == ok
    # Cached: a second engine does not measure again.
    monkeypatch.setattr(rt, "_probs", lambda *a: pytest.fail("measured again despite choice.json"))
    again = FineTunedEngine(folder=out, cache_dir=cache, runtime="auto", threads=1)
    assert again.runtime == engine.runtime


def test_a_runtime_that_disagrees_with_torch_is_never_chosen(trained, cache, tmp_path, monkeypatch):
    out, _ = trained
    FineTunedEngine(folder=out, cache_dir=cache, runtime="onnx", threads=1)  # the export, made once
    shutil.copytree(cache / "models", tmp_path / "models")
    for old in (tmp_path / "models").glob("*/choice.json"):
        old.unlink()
    real = rt._probs

    def int8_flips_labels(runner, batches, head):
        probs = real(runner, batches, head)
        return probs[:, ::-1].copy() if runner.runtime == "onnx-int8" else probs

    monkeypatch.setattr(rt, "_probs", int8_flips_labels)
    engine = FineTunedEngine(folder=out, cache_dir=tmp_path, runtime="auto", threads=1)
    assert engine.choice["results"]["onnx-int8"]["as_accurate"] is False
    assert engine.runtime in ("torch", "onnx")


def test_default_threads_leave_a_core_for_the_web_server(monkeypatch):
    monkeypatch.setattr(rt.os, "sched_getaffinity", lambda pid: {0, 1})
    assert rt.default_threads() == 1 and rt.resolve_threads(0) == 1 and rt.resolve_threads(3) == 3
    monkeypatch.setattr(rt.os, "sched_getaffinity", lambda pid: {0})
    assert rt.default_threads() == 1
    monkeypatch.setattr(rt.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert rt.default_threads() == 7


def test_generated_posts_are_reproducible_and_cover_the_four_kinds():
    assert generate(40, seed=1) == generate(40, seed=1) != generate(40, seed=2)
    labels = [label for label, _ in generate(400, seed=0)]
    assert labels.count("negative") == 200 and labels.count("neutral") == 100 and labels.count("positive") == 100


# Retraining from the team's corrections, end to end on a small set.

CORRECTED = generate(48, seed=11)


@pytest.fixture
def corrected_store(db):
    """48 stored customer-service posts, every one corrected by an editor to its true label."""
    from access import service
    from access.roles import Actor
    from store.connection import write
    from store.ingest import store_messages
    from tests.conftest import message

    now = 1_800_000_000
    batch = [message(str(i), text, at=now - 3600 + i) for i, (_, text) in enumerate(CORRECTED)]
    with write(db) as conn:
        store_messages(conn, batch, [None] * len(batch), None, now=now)
    import sqlalchemy as sa

    with db.connect() as conn:
        ids = dict(conn.execute(sa.text("SELECT external_id, id FROM messages")).all())
    editor = Actor("ed", "editor")
    for label in ("negative", "neutral", "positive"):
        chosen = [ids[str(i)] for i, (truth, _) in enumerate(CORRECTED) if truth == label]
        service.correct_labels(db, chosen, label, editor, now)
    return db


def test_retraining_switches_only_when_better_records_it_and_rescores(trained, tmp_path, corrected_store):
    from sentiment.rescore import rescore
    from sentiment.retrain import retrain
    from store.engine_versions import accuracy_by_version, versions

    out, _ = trained
    engine = FineTunedEngine(folder=out, cache_dir=tmp_path, runtime="torch", threads=1)
    old_version = engine.version
    result = retrain(engine, corrected_store, generate(40, seed=5), who="lead-1", now=1_800_000_100, seed=0)
    corr, base = result.metrics["corrections"], result.metrics["base"]
    assert corr["held_out_n"] > 0 and base["held_out_n"] > 0 and corr["train_n"] + corr["held_out_n"] == 48
    assert result.switched, result.reason
    assert corr["new_macro_recall"] > corr["old_macro_recall"] and base["new_macro_recall"] >= base["old_macro_recall"]
    assert engine.version == result.new_version != old_version and "+head-" in engine.version
    # The next engine load scores with the new head; the attempt is on record.
    again = FineTunedEngine(folder=out, cache_dir=tmp_path, runtime="torch", threads=1)
    assert again.version == result.new_version
    recorded = versions(corrected_store)
    assert list(recorded["status"]) == ["active"] and recorded["created_by"][0] == "lead-1"
    assert recorded["metrics"][0]["corrections"] == corr
    # Rescoring the last day: the corrected posts now carry the new version, per-version accuracy follows.
    assert rescore(corrected_store, again, since=1_800_000_000 - 86400) == 48
    table = accuracy_by_version(corrected_store)
    assert list(table["engine version"]) == [result.new_version] and table["negative n"][0] == 24


def test_retraining_keeps_the_current_head_when_the_new_one_is_worse(trained, tmp_path, corrected_store, monkeypatch):
    from sentiment import retrain as rt_mod
    from store.engine_versions import versions

    out, _ = trained
    engine = FineTunedEngine(folder=out, cache_dir=tmp_path, runtime="torch", threads=1)
    before = engine.version
    monkeypatch.setattr(rt_mod, "fit_head", lambda x, y, w, start, seed: (-start.weight * 5, -start.bias))
    result = rt_mod.retrain(engine, corrected_store, generate(40, seed=5), who="lead-1", now=1_800_000_100)
    assert not result.switched and "kept the current head" in result.reason
    assert engine.version == before
    assert FineTunedEngine(folder=out, cache_dir=tmp_path, runtime="torch", threads=1).version == before
    assert list(versions(corrected_store)["status"]) == ["rejected"]


def test_retraining_needs_enough_corrections(trained, tmp_path, db):
    from sentiment.retrain import retrain

    out, _ = trained
    engine = FineTunedEngine(folder=out, cache_dir=tmp_path, runtime="torch", threads=1)
    with pytest.raises(ValueError, match="0 corrected messages; retraining needs at least 8"):
        retrain(engine, db, generate(8), who="lead-1", now=1.0)


# A smaller, faster student distilled from a trained model.


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A tiny 6-layer teacher that saw half its posts, then a 2-layer student with
    64 feed-forward units distilled from it, checkpoint picked on held-out posts."""
    from sentiment import train

    tmp = tmp_path_factory.mktemp("student")
    rows = generate(60, seed=9)
    train_tsv = _write_tsv(tmp / "train.tsv", rows[:48])
    val_tsv = _write_tsv(tmp / "val.tsv", rows[48:])
    common = ["--train", str(train_tsv), "--val", str(val_tsv), "--synthetic", "8", "--batch-size", "8"]
    common += ["--max-length", "24", "--seed", "4"]
    teacher = tmp / "teacher"
    train.main([*common, "--out", str(teacher), "--epochs", "0.5", "--eval-every", "0"])
    out = tmp / "student"
    best = train.main(
        [*common, "--out", str(out), "--init", str(teacher), "--teacher", str(teacher), "--layers", "2"]
        + ["--ffn", "64", "--holdout", "6", "--calibrate", "1", "--eval-every", "2"]
    )
    return out, teacher, best, train_tsv


def test_layers_are_evenly_spaced_and_keep_the_top_one():
    from sentiment.train import spaced_layers

    assert spaced_layers(6, 6) == [0, 1, 2, 3, 4, 5]
    assert spaced_layers(6, 3) == [0, 2, 5] and spaced_layers(6, 2) == [0, 5] and spaced_layers(6, 1) == [5]
    assert spaced_layers(6, 4) == [0, 2, 3, 5]
    with pytest.raises(ValueError, match="--layers must be between 1 and 6"):
        spaced_layers(6, 7)


def test_a_student_records_its_layers_teacher_and_holdout_and_loads_with_them(student):
    from safetensors import safe_open

    from sentiment.train import make_plan

    out, teacher, best, train_tsv = student
    meta = json.loads((out / META_NAME).read_text())
    assert meta["layers"] == 2 and meta["intermediate_size"] == 64
    assert meta["init"]["layers_kept"] == [0, 5] and meta["init"]["folder"] == "teacher"
    assert meta["distillation"] == {"teacher": "teacher", "alpha": 0.7, "temperature": 2.0}
    assert meta["selected_on"] == "holdout (n=6)" and meta["calibration"]["n"] == 6
    assert meta["val_macro_recall"] == best["val_macro_recall"] and "--layers 2" in meta["command"]
    # The held-out posts are ones the teacher's own run never trained on (its plan, replayed).
    held = meta["holdout"]["indices"]
    teacher_meta = json.loads((teacher / META_NAME).read_text())
    import random

    from sentiment.finetuned_model import load_tokenizer
    from sentiment.labelled import read_labelled

    _, texts = read_labelled(train_tsv)
    texts += [t for _, t in generate(8, seed=4)]
    from sentiment.preprocess import for_model

    lengths = [
        len(e) for e in load_tokenizer()([for_model(t) for t in texts], truncation=True, max_length=24)["input_ids"]
    ]
    replay = make_plan(lengths, teacher_meta["epochs"], teacher_meta["batch_size"], random.Random(4))
    assert len(held) == 6 and not set(held) & {i for b in replay for i in b} and max(held) < 48
    with safe_open(str(out / DELTA_NAME), "pt") as fh:
        keys = list(fh.keys())
        assert fh.get_tensor("encoder.encoder.layer.1.intermediate.dense.weight").shape == (64, 384)
    assert not [k for k in keys if k.startswith("encoder.encoder.layer.2.")]
    model, _ = load_finetuned(out)
    assert model.encoder.config.num_hidden_layers == 2 and model.encoder.config.intermediate_size == 64
    # meta.json that does not match the delta is refused with its reason.
    copy = out.parent / "mismatch"
    shutil.copytree(out, copy)
    (copy / META_NAME).write_text(json.dumps({**meta, "layers": 6, "intermediate_size": 1536}))
    with pytest.raises(ValueError, match="no place for|lacks"):
        load_finetuned(copy)


def test_a_student_runs_on_torch_and_onnx_alike(student, cache):
    out, *_ = student
    on_torch = FineTunedEngine(folder=out, cache_dir=cache, runtime="torch", threads=1)
    on_int8 = FineTunedEngine(folder=out, cache_dir=cache, runtime="onnx-int8", threads=1)
    on_onnx = FineTunedEngine(folder=out, cache_dir=cache, runtime="onnx", threads=1)
    np.testing.assert_allclose(on_torch.probabilities(POSTS), on_onnx.probabilities(POSTS), atol=1e-4)
    np.testing.assert_allclose(on_torch.probabilities(POSTS), on_int8.probabilities(POSTS), atol=0.05)
    assert on_torch.embed(POSTS).shape == (3, 384)


def test_pruning_drops_the_units_that_contribute_nothing():
    """Feed-forward units whose in- and out-weights are zero go first: the pruned
    model computes exactly what the full one did."""
    import torch

    from sentiment.finetuned_model import build_classifier
    from sentiment.train import student_from

    torch.manual_seed(0)
    full = build_classifier(layers=2).eval()
    dead = torch.randperm(1536)[:1000]
    with torch.no_grad():
        for layer in full.encoder.encoder.layer:
            layer.intermediate.dense.weight[dead] = 0
            layer.output.dense.weight[:, dead] = 0
    pruned, kept = student_from(full, {"layers": 2}, None, ffn=536)
    assert kept == [0, 1] and pruned.encoder.config.intermediate_size == 536
    ids = torch.tensor([[101, 7592, 2088, 102]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        torch.testing.assert_close(pruned.eval()(ids, mask), full(ids, mask), atol=1e-5, rtol=1e-4)


def test_a_holdout_needs_posts_the_init_never_trained_on(trained, tmp_path):
    from sentiment import train

    out, _ = trained  # trained one whole epoch: it saw every post
    rows = generate(48, seed=7)
    train_tsv = _write_tsv(tmp_path / "train.tsv", rows[:36])
    with pytest.raises(ValueError, match="no train.tsv text is left"):
        train.main(
            ["--train", str(train_tsv), "--val", str(train_tsv), "--out", str(tmp_path / "s"), "--init", str(out)]
            + ["--synthetic", "8", "--batch-size", "8", "--max-length", "24", "--seed", "3", "--holdout", "4"]
        )


def test_the_bench_measures_a_named_model_folder(student, tmp_path, monkeypatch, capsys):
    from bench import sentiment as bench

    out, *_ = student
    config = tmp_path / "config.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "data"}"\n[sentiment]\nmodel = ""\n', encoding="utf-8")
    monkeypatch.setenv("CRISISDESK_CONFIG", str(config))
    data = _write_tsv(tmp_path / "tiny.tsv", generate(6, seed=2))
    bench.main(
        [str(data), "--engines", "minilm-ft", "--runtimes", "onnx-int8", "--finetuned", str(out)]
        + ["--loads", "idle", "--threads", "1", "--repeats", "1", "--single", "2"]
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("engine=")]
    assert len(lines) == 1 and "runtime=onnx-int8" in lines[0] and "load=idle" in lines[0]
    digest = json.loads((out / META_NAME).read_text())["delta_sha256"][:10]
    assert list((tmp_path / "data" / "models").glob(f"minilm-ft-{digest}-*/model-int8.onnx"))
