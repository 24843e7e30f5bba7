"""Accuracy and speed of every available sentiment engine, idle and under load.

    python -m bench.sentiment [FILE.tsv ...] [--threads N] [--loads idle,busy]
                              [--engines vader,minilm-head,minilm-ft] [--runtimes torch,onnx,onnx-int8]

Default file: ../shared/data/sentiment/val.tsv (TSV, header `label<TAB>text`).
For each engine that loads here (VADER, the MiniLM head, the fine-tuned
MiniLM in each runtime, and the configured transformer model if it is on
disk), each load and each file, prints one line:

    engine=NAME runtime=R threads=T load=idle|busy loadavg=L data=FILE n=N macro_recall=X macro_f1=X
    accuracy=X msgs_per_s_batch=X ms_single=X msgs_per_s_single=X

threads: the engine's intra-op threads (default: [sentiment] threads, 0 =
all cores but one). load=busy: the bench starts a CPU-bound process of its
own (a busy loop) for the measurement, as a web server serving pages would
load the other core; load=idle: nothing of the bench's own runs beside it
(loadavg: the machine's 1-minute load average when the line was measured,
so a shared machine's conditions are on record). macro_recall is
TweetEval's official metric. msgs_per_s_batch: the whole file scored in
batches, median of --repeats runs; ms_single: the median time to score one
text alone, over --single texts (msgs_per_s_single = 1000 / ms_single).
msgs_per_cpu_s_batch and cpu_ms_single: the same from this process's CPU
time instead of the clock: what the engine needs of a core, whatever else
the machine runs (on a shared machine the clock figures also measure the
neighbours; with threads=1 the two agree on an idle core).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from model.score import LABELS
from sentiment.labelled import read_labelled

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "sentiment" / "val.tsv"
LOADS = ("idle", "busy")


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


def engines(threads: int, runtimes: list[str], folder: Path | None = None):
    """(name, runtime, factory) for every engine this machine can load."""
    from sentiment.finetuned import FineTunedEngine
    from sentiment.finetuned_model import FAST_DIR, FINETUNED_DIR
    from sentiment.lexicon import VaderEngine
    from sentiment.minilm import MiniLMHeadEngine
    from sentiment.runtime import set_torch_threads
    from settings import load_settings

    settings = load_settings()
    cfg = settings.sentiment

    def torch_engine(factory):
        def make():
            set_torch_threads(threads)
            return factory()

        return make

    yield "vader", "python", VaderEngine
    yield "minilm-head", "torch", torch_engine(MiniLMHeadEngine)
    for runtime in runtimes:
        yield (
            "minilm-ft",
            runtime,
            lambda runtime=runtime: FineTunedEngine(
                folder=folder or FINETUNED_DIR, cache_dir=settings.data_dir, runtime=runtime, threads=threads
            ),
        )
    if folder is None:
        for runtime in runtimes:
            yield (
                "minilm-ft-fast",
                runtime,
                lambda runtime=runtime: FineTunedEngine(
                    folder=FAST_DIR,
                    name="minilm-ft-fast",
                    cache_dir=settings.data_dir,
                    runtime=runtime,
                    threads=threads,
                ),
            )
    if cfg.model:
        from sentiment.transformer import TransformerEngine

        yield (
            cfg.model,
            "torch",
            torch_engine(lambda: TransformerEngine(cfg.model, revision=cfg.revision or None, local_files_only=True)),
        )


@contextlib.contextmanager
def competing_load(load: str):
    """load=busy: a CPU-bound process of the bench's own for the duration."""
    if load == "idle":
        yield
        return
    # Spins until its parent is gone, so a killed bench leaves no busy loop behind.
    spin = f"import os\nwhile os.getppid() == {os.getpid()}: pass"
    proc = subprocess.Popen([sys.executable, "-c", spin])
    try:
        time.sleep(0.5)  # let it get going
        yield
    finally:
        proc.kill()
        proc.wait()


def measure(engine, texts: list[str], repeats: int, single: int) -> tuple[list[str], dict[str, float]]:
    """(labels, figures): wall-clock and this process's CPU time, batched and one text alone."""
    engine.score(texts[:64])  # warm-up: first calls allocate
    batch_times, batch_cpu, predicted = [], [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        predicted = [s.label for s in engine.score(texts)]
        batch_times.append(time.perf_counter() - started)
        batch_cpu.append(time.process_time() - cpu)
    single_times, single_cpu = [], []
    for text in texts[:single]:
        started, cpu = time.perf_counter(), time.process_time()
        engine.score([text])
        single_times.append(time.perf_counter() - started)
        single_cpu.append(time.process_time() - cpu)
    return predicted, {
        "batch": len(texts) / statistics.median(batch_times),
        "single_ms": 1000 * statistics.median(single_times),
        "cpu_batch": len(texts) / max(statistics.median(batch_cpu), 1e-9),
        "cpu_single_ms": 1000 * statistics.fmean(single_cpu),
    }


def main(argv: list[str] | None = None) -> None:
    from sentiment.runtime import RUNTIMES, resolve_threads
    from settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m bench.sentiment", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FILE])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--single", type=int, default=200, help="texts scored one per call for ms_single")
    parser.add_argument("--threads", type=int, default=None, help="engine threads (default: [sentiment] threads)")
    parser.add_argument("--loads", default="idle,busy", help="comma-separated: idle, busy")
    parser.add_argument("--engines", default="", help="comma-separated engine names (default: all)")
    parser.add_argument("--runtimes", default=",".join(RUNTIMES), help="runtimes of the fine-tuned MiniLM")
    parser.add_argument(
        "--finetuned", type=Path, default=None, help="the fine-tuned MiniLM's folder (default: the shipped one)"
    )
    args = parser.parse_args(argv)
    loads = [x for x in args.loads.split(",") if x]
    if unknown := [x for x in loads if x not in LOADS]:
        parser.error(f"--loads: unknown {unknown}; use {','.join(LOADS)}")
    runtimes = [x for x in args.runtimes.split(",") if x]
    if unknown := [x for x in runtimes if x not in RUNTIMES]:
        parser.error(f"--runtimes: unknown {unknown}; use {','.join(RUNTIMES)}")
    wanted = {x for x in args.engines.split(",") if x}
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.ERROR)
    threads = args.threads if args.threads is not None else resolve_threads(load_settings().sentiment.threads)
    data = {path: read_labelled(path) for path in args.files}
    print(f"machine cores={os.cpu_count()} threads={threads} loads={','.join(loads)}", flush=True)
    for name, runtime, factory in engines(threads, runtimes, args.finetuned):
        if wanted and name not in wanted:
            continue
        try:
            engine = factory()
        except Exception as exc:
            print(
                f"engine={name} runtime={runtime} skipped=unavailable reason={str(exc).splitlines()[0][:120]!r}",
                flush=True,
            )
            continue
        for path, (truth, texts) in data.items():
            for load in loads:
                with competing_load(load):
                    predicted, f = measure(engine, texts, args.repeats, args.single)
                    loadavg = os.getloadavg()[0]
                m = metrics(truth, predicted)
                print(
                    f"engine={engine.name} runtime={runtime} threads={threads} load={load} loadavg={loadavg:.1f} "
                    f"data={path.name} n={len(texts)} macro_recall={m['macro_recall']:.4f} "
                    f"macro_f1={m['macro_f1']:.4f} accuracy={m['accuracy']:.4f} "
                    f"msgs_per_s_batch={f['batch']:.0f} ms_single={f['single_ms']:.2f} "
                    f"msgs_per_s_single={1000 / f['single_ms']:.0f} msgs_per_cpu_s_batch={f['cpu_batch']:.0f} "
                    f"cpu_ms_single={f['cpu_single_ms']:.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
