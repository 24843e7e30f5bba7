"""Accuracy and speed of every available sentiment engine.

    python -m bench.sentiment [FILE.tsv ...]

Default file: ../shared/data/sentiment/val.tsv (TSV, header `label<TAB>text`).
For each engine that loads here (VADER, the MiniLM head, and the configured
transformer model if it is on disk) and each file, prints one line:

    engine=NAME data=FILE n=N macro_recall=X macro_f1=X accuracy=X msgs_per_s_batch=X msgs_per_s_single=X

macro_recall is TweetEval's official metric. msgs_per_s_batch: the whole
file scored in batches, median of --repeats runs; msgs_per_s_single: one
text per call, over --single texts, from the median time per call.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

from sentiment.engine import LABELS
from sentiment.labelled import read_labelled

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "sentiment" / "val.tsv"


def metrics(truth: list[str], predicted: list[str]) -> dict[str, float]:
    recalls, f1s = [], []
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted))
        actual = sum(t == label for t in truth)
        said = sum(p == label for p in predicted)
        recall = tp / actual if actual else 0.0
        precision = tp / said if said else 0.0
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    accuracy = sum(t == p for t, p in zip(truth, predicted)) / len(truth)
    return {"macro_recall": statistics.fmean(recalls), "macro_f1": statistics.fmean(f1s), "accuracy": accuracy}


def engines():
    """(name, factory) for every engine this machine can load."""
    from sentiment.lexicon import VaderEngine
    from sentiment.minilm import MiniLMHeadEngine

    yield "vader", VaderEngine
    yield "minilm-head", MiniLMHeadEngine
    from settings import load_settings

    cfg = load_settings().sentiment
    if cfg.model:
        from sentiment.transformer import TransformerEngine

        yield cfg.model, lambda: TransformerEngine(cfg.model, revision=cfg.revision or None, local_files_only=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sentiment", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FILE])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--single", type=int, default=200, help="texts scored one per call for msgs_per_s_single")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.ERROR)
    data = {path: read_labelled(path) for path in args.files}
    for name, factory in engines():
        try:
            engine = factory()
        except Exception as exc:
            print(f"engine={name} skipped=unavailable reason={str(exc).splitlines()[0][:120]!r}", flush=True)
            continue
        for path, (truth, texts) in data.items():
            batch_times, predicted = [], []
            for _ in range(args.repeats):
                started = time.perf_counter()
                predicted = [s.label for s in engine.score(texts)]
                batch_times.append(time.perf_counter() - started)
            single_times = []
            for text in texts[: args.single]:
                started = time.perf_counter()
                engine.score([text])
                single_times.append(time.perf_counter() - started)
            m = metrics(truth, predicted)
            print(
                f"engine={engine.name} data={path.name} n={len(texts)} macro_recall={m['macro_recall']:.4f} "
                f"macro_f1={m['macro_f1']:.4f} accuracy={m['accuracy']:.4f} "
                f"msgs_per_s_batch={len(texts) / statistics.median(batch_times):.0f} "
                f"msgs_per_s_single={1 / statistics.median(single_times):.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
