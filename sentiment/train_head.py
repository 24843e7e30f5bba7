"""Train the MiniLM engine's classification head.

    python -m sentiment.train_head [--train TSV] [--val TSV] [--out PATH]

Embeds both files with the packaged encoder (cached under artifacts/, keyed
by file content and encoder version), fits a class-balanced multinomial
logistic regression on train for each C in a small grid, keeps the C with
the best macro-averaged recall on val, and writes the head's weights (a few
kilobytes of JSON) to sentiment/minilm_head.json. Needs scikit-learn
(requirements-dev.txt); the engine itself does not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from model.score import LABELS
from sentiment.labelled import read_labelled
from sentiment.minilm import HEAD_PATH, MiniLMEncoder, features

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "sentiment"
CACHE = ROOT / "artifacts"
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
SEED = 0


def cached_features(encoder: MiniLMEncoder, path: Path) -> tuple[np.ndarray, np.ndarray]:
    labels, texts = read_labelled(path)
    key = hashlib.sha256(path.read_bytes() + encoder.version.encode() + b"v1").hexdigest()[:16]
    cache = CACHE / f"features-{path.stem}-{key}.npy"
    if cache.exists():
        x = np.load(cache)
    else:
        started = time.time()
        x = features(encoder, texts)
        CACHE.mkdir(exist_ok=True)
        np.save(cache, x)
        print(f"embedded {path.name}: n={len(texts)} seconds={time.time() - started:.0f}", flush=True)
    y = np.array([LABELS.index(label) for label in labels])
    return x, y


def _compact(values) -> list[float]:
    """7 significant digits: small enough for JSON, exact enough for the head."""
    return [float(f"{float(v):.7g}") for v in values]


def macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean([np.mean(pred[y == k] == k) for k in range(len(LABELS))]))


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser(prog="python -m sentiment.train_head", description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DATA / "train.tsv")
    parser.add_argument("--val", type=Path, default=DATA / "val.tsv")
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)

    encoder = MiniLMEncoder(batch_size=64)
    x_train, y_train = cached_features(encoder, args.train)
    x_val, y_val = cached_features(encoder, args.val)
    scaler = StandardScaler().fit(x_train)
    xs_train, xs_val = scaler.transform(x_train), scaler.transform(x_val)

    best: tuple[float, float, LogisticRegression] | None = None
    for c in C_GRID:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=SEED)
        model.fit(xs_train, y_train)
        score = macro_recall(y_val, model.predict(xs_val))
        print(f"C={c} val_macro_recall={score:.4f}", flush=True)
        if best is None or score > best[0]:
            best = (score, c, model)
    assert best is not None, "C_GRID is empty"
    score, c, model = best
    head = {
        "classes": list(LABELS),
        "features": "all-MiniLM-L6-v2 mean-pooled L2-normalised embedding (384) + VADER neg, neu, pos, compound",
        "model": "multinomial logistic regression, class_weight=balanced",
        "C": c,
        "trained_on": f"{args.train.name} (n={len(y_train)})",
        "selected_on": f"{args.val.name} (n={len(y_val)})",
        "val_macro_recall": round(score, 4),
        "command": "python -m sentiment.train_head",
        "mean": _compact(scaler.mean_),
        "scale": _compact(scaler.scale_),
        "weights": [_compact(row) for row in model.coef_],
        "bias": _compact(model.intercept_),
    }
    args.out.write_text(json.dumps(head, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} C={c} val_macro_recall={score:.4f} bytes={args.out.stat().st_size}")


if __name__ == "__main__":
    main()
