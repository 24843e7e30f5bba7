"""Retrain the fine-tuned MiniLM's head on the base data plus the team's corrections.

    python -m sentiment.retrain [--base TSV] [--base-limit N] [--rescore-days N] [--seed 0]

The encoder stays as shipped; only the linear head over its pooled output is
retrained (seconds on CPU). Both sources are split, by a seeded hash, into
train and a held-out part (HOLDOUT): the base data (train.tsv when it is
here, else generated customer-service posts) and the corrected messages in
the store (their human label is the truth). The new head starts from the
current one, with corrections weighted CORRECTION_WEIGHT and an L2 pull
toward the current head. It replaces the current head only when its
macro-recall is higher on the held-out corrections and not lower on the
held-out base data; every attempt, switched or not, is recorded
(engine_versions) with both figures. After a switch, --rescore-days N
rescores the messages of the last N days with it.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.score import LABELS
from sentiment.heads import activate, save_head
from sentiment.runtime import Head

HOLDOUT = 0.25
CORRECTION_WEIGHT = 3.0
L2_TO_CURRENT = 1e-3
STEPS = 300
MIN_CORRECTIONS = 8  # below this, a held-out split says nothing
DEFAULT_BASE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "sentiment" / "train.tsv"


@dataclass(frozen=True)
class RetrainResult:
    switched: bool
    reason: str
    old_version: str
    new_version: str
    metrics: dict


def macro_recall(truth: np.ndarray, pred: np.ndarray) -> float:
    """Mean recall over the classes present in truth."""
    present = [k for k in range(len(LABELS)) if np.any(truth == k)]
    return float(np.mean([np.mean(pred[truth == k] == k) for k in present])) if present else 0.0


def _held_out(key: str, seed: int) -> bool:
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HOLDOUT


def fit_head(x: np.ndarray, y: np.ndarray, weights: np.ndarray, start: Head, seed: int) -> tuple[np.ndarray, ...]:
    """Class- and source-weighted softmax regression from `start`, pulled toward it."""
    import torch

    torch.manual_seed(seed)
    w0, b0 = torch.tensor(start.weight), torch.tensor(start.bias)
    w, b = torch.nn.Parameter(w0.clone()), torch.nn.Parameter(b0.clone())
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    counts = np.bincount(y, minlength=len(LABELS))
    class_w = torch.tensor(len(y) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    sample_w = torch.tensor(weights, dtype=torch.float32) * class_w[yt]
    optimizer = torch.optim.Adam([w, b], lr=1e-2)
    for _ in range(STEPS):
        optimizer.zero_grad()
        losses = torch.nn.functional.cross_entropy(xt @ w.T + b, yt, reduction="none")
        loss = (losses * sample_w).sum() / sample_w.sum() + L2_TO_CURRENT * ((w - w0) ** 2).sum()
        loss.backward()
        optimizer.step()
    return w.detach().numpy(), b.detach().numpy()


def retrain(engine, db, base: list[tuple[str, str]], *, who: str, now: float, seed: int = 0) -> RetrainResult:
    """Train, compare on both held-out parts, switch only when better, record the attempt."""
    from store.engine_versions import corrected_messages, record_version

    corrections = corrected_messages(db)
    if len(corrections) < MIN_CORRECTIONS:
        raise ValueError(f"{len(corrections)} corrected messages; retraining needs at least {MIN_CORRECTIONS}")
    base_rows = [(f"base:{i}:{text}", text, label) for i, (label, text) in enumerate(base)]
    corr_rows = [(f"message:{mid}", text, label) for mid, text, label in corrections]
    splits = {}
    for name, rows in (("base", base_rows), ("corrections", corr_rows)):
        held = [r for r in rows if _held_out(r[0], seed)]
        kept = [r for r in rows if not _held_out(r[0], seed)]
        if not held or not kept:  # tiny sets: hold out every fourth
            held, kept = rows[::4], [r for i, r in enumerate(rows) if i % 4]
        splits[name] = (kept, held)
    texts = {n: ([t for _, t, _ in k], [t for _, t, _ in h]) for n, (k, h) in splits.items()}
    labels = {
        n: (np.array([LABELS.index(lab) for *_, lab in k]), np.array([LABELS.index(lab) for *_, lab in h]))
        for n, (k, h) in splits.items()
    }
    feats = {n: (engine.embed(k), engine.embed(h)) for n, (k, h) in texts.items()}
    x = np.vstack([feats["base"][0], feats["corrections"][0]])
    y = np.concatenate([labels["base"][0], labels["corrections"][0]])
    w = np.concatenate([np.ones(len(labels["base"][0])), np.full(len(labels["corrections"][0]), CORRECTION_WEIGHT)])
    old = engine.head
    weight, bias = fit_head(x, y, w, old, seed)
    new = Head(weight, bias)
    metrics: dict = {"seed": seed, "holdout": HOLDOUT}
    for name in ("base", "corrections"):
        truth = labels[name][1]
        metrics[name] = {
            "train_n": int(len(labels[name][0])),
            "held_out_n": int(len(truth)),
            "old_macro_recall": round(macro_recall(truth, old.logits(feats[name][1]).argmax(1)), 4),
            "new_macro_recall": round(macro_recall(truth, new.logits(feats[name][1]).argmax(1)), 4),
        }
    corr, base_m = metrics["corrections"], metrics["base"]
    better = corr["new_macro_recall"] > corr["old_macro_recall"] and (
        base_m["new_macro_recall"] >= base_m["old_macro_recall"]
    )
    old_version = engine.version
    if better:
        saved = save_head(engine.heads_dir, weight, bias, engine.digest)
        activate(engine.heads_dir, saved.version, engine.digest)
        engine.use_head(saved)
        reason = (
            f"switched: corrections {corr['old_macro_recall']:.3f} -> {corr['new_macro_recall']:.3f}, "
            f"base {base_m['old_macro_recall']:.3f} -> {base_m['new_macro_recall']:.3f}"
        )
    else:
        reason = (
            f"kept the current head: the new one scored corrections {corr['new_macro_recall']:.3f} "
            f"(current {corr['old_macro_recall']:.3f}) and base {base_m['new_macro_recall']:.3f} "
            f"(current {base_m['old_macro_recall']:.3f}); it must be better on corrections and no worse on base"
        )
    new_version = engine.version if better else f"{old_version.split('+head-')[0]}+head-{new_version_of(new)}"
    record_version(db, engine.name, new_version, old_version, better, {**metrics, "reason": reason}, who, now)
    return RetrainResult(better, reason, old_version, new_version, metrics)


def new_version_of(head: Head) -> str:
    from sentiment.heads import head_version

    return head_version(head.weight, head.bias)


def base_data(path: Path | None, limit: int, seed: int) -> list[tuple[str, str]]:
    """(label, text) of the base data: a seeded sample of `path`, else generated posts."""
    from sentiment.labelled import read_labelled
    from sentiment.synthetic import generate

    if path is not None and path.exists():
        labels, texts = read_labelled(path)
        rows = list(zip(labels, texts))
        random.Random(seed).shuffle(rows)
        return rows[:limit]
    return generate(min(limit, 2000), seed=seed)


def retrain_for_settings(settings, db, actor, base_limit: int = 1000) -> RetrainResult:
    """The Sentiment page's button: the configured fine-tuned engine, a lead's permission."""
    from access.roles import Permission, require
    from sentiment.finetuned import FineTunedEngine
    from store.engine_versions import corrected_messages

    require(actor, Permission.RETRAIN_ENGINE)
    if (n := len(corrected_messages(db))) < MIN_CORRECTIONS:  # say so before loading a model
        raise ValueError(f"{n} corrected messages; retraining needs at least {MIN_CORRECTIONS}")
    cfg = settings.sentiment
    engine = FineTunedEngine(cache_dir=settings.data_dir, runtime=cfg.runtime, threads=cfg.threads)
    return retrain(engine, db, base_data(DEFAULT_BASE, base_limit, 0), who=actor.name, now=time.time())


def rescore_for_settings(settings, db, actor, days: float) -> int:
    """Rescore the last `days` days with the engine the settings load now."""
    from access.roles import Permission, require
    from sentiment.loader import load_engine
    from sentiment.rescore import rescore_recent

    require(actor, Permission.RETRAIN_ENGINE)  # before loading an engine
    return rescore_recent(db, load_engine(settings).engine, actor, days, time.time())


def main(argv: list[str] | None = None) -> int:
    from settings import ConfigError, load_settings

    parser = argparse.ArgumentParser(prog="python -m sentiment.retrain", description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=DEFAULT_BASE, help="labelled TSV (default: train.tsv if here)")
    parser.add_argument("--base-limit", type=int, default=4000, help="base texts sampled (embedding costs time)")
    parser.add_argument("--rescore-days", type=float, default=0, help="after a switch, rescore the last N days")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from sentiment.finetuned import FineTunedEngine
    from store.connection import connect, database_url
    from store.migrate import upgrade

    cfg = settings.sentiment
    db = connect(database_url(settings))
    upgrade(db)
    engine = FineTunedEngine(cache_dir=settings.data_dir, runtime=cfg.runtime, threads=cfg.threads)
    base = base_data(args.base, args.base_limit, args.seed)
    result = retrain(engine, db, base, who="cli", now=time.time(), seed=args.seed)
    print(result.reason)
    for name in ("base", "corrections"):
        m = result.metrics[name]
        print(
            f"split={name} train_n={m['train_n']} held_out_n={m['held_out_n']} "
            f"old_macro_recall={m['old_macro_recall']} new_macro_recall={m['new_macro_recall']}"
        )
    print(f"switched={str(result.switched).lower()} version={result.new_version}")
    if result.switched and args.rescore_days:
        from sentiment.loader import load_engine
        from sentiment.rescore import rescore

        since = int(time.time() - args.rescore_days * 86400)
        done = rescore(db, load_engine(settings).engine, since=since)
        print(f"rescored={done} days={args.rescore_days:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
