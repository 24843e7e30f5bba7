"""Fine-tune the MiniLM encoder (not only a head) for 3-class sentiment, on CPU.

    nice -n 10 python -m sentiment.train [--seed 0] [--epochs 1] [--threads 1]

Data: train.tsv (../shared/data/sentiment/) plus --synthetic posts from
sentiment.synthetic (customer-service complaints, sarcasm, calm questions,
fixed-problem praise; same seed, same posts). Class-weighted cross-entropy
(macro-recall is the metric), AdamW with linear warm-up and decay,
length-bucketed batches (little padding, so CPU time goes to real tokens).
The word embeddings stay frozen, so only the transformer layers and the
classifier are saved: sentiment/finetuned/delta.safetensors (fp16, ~21 MB)
and meta.json with the command, seed and validation figures. The model is
evaluated on val.tsv every --eval-every steps and at the end; the best
checkpoint is the one kept (so a run stopped early still leaves its best).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from model.score import LABELS
from sentiment.finetuned_model import FINETUNED_DIR, base_version, build_classifier, load_tokenizer, save_delta
from sentiment.labelled import read_labelled
from sentiment.preprocess import for_model
from sentiment.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "sentiment"


def recalls(truth: np.ndarray, pred: np.ndarray) -> list[float]:
    return [float(np.mean(pred[truth == k] == k)) if np.any(truth == k) else 0.0 for k in range(len(LABELS))]


def batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar-length texts."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    pool = batch_size * 50
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def predict(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> np.ndarray:
    import torch

    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    pred = np.zeros(len(texts), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            pred[idx] = model(enc["input_ids"], enc["attention_mask"]).argmax(-1).numpy()
    return pred


def main(argv: list[str] | None = None) -> dict:
    import torch

    parser = argparse.ArgumentParser(prog="python -m sentiment.train", description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DATA / "train.tsv")
    parser.add_argument("--val", type=Path, default=DATA / "val.tsv")
    parser.add_argument("--out", type=Path, default=FINETUNED_DIR)
    parser.add_argument("--synthetic", type=int, default=4000, help="generated customer-service posts added")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--eval-every", type=int, default=400)
    parser.add_argument("--freeze-layers", type=int, default=0, help="also keep the lowest N transformer layers frozen")
    parser.add_argument(
        "--calibrate", type=int, default=0, help="train.tsv texts the run never saw, used to set the class biases"
    )
    parser.add_argument(
        "--calibrate-only", action="store_true", help="only the bias calibration, on the delta in --out (same args)"
    )
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training texts (tests)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    labels, texts = read_labelled(args.train)
    if args.limit:
        labels, texts = labels[: args.limit], texts[: args.limit]
    synthetic = generate(args.synthetic, seed=args.seed)
    labels += [label for label, _ in synthetic]
    texts += [text for _, text in synthetic]
    texts = [for_model(t) for t in texts]
    y = np.array([LABELS.index(label) for label in labels])
    val_labels, val_texts = read_labelled(args.val)
    val_texts = [for_model(t) for t in val_texts]
    y_val = np.array([LABELS.index(label) for label in val_labels])

    tokenizer = load_tokenizer()
    encoded = tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"]
    model = build_classifier()
    frozen = ("encoder.embeddings.", *(f"encoder.encoder.layer.{i}." for i in range(args.freeze_layers)))
    for name, param in model.named_parameters():
        param.requires_grad = not name.startswith(frozen)
    counts = np.bincount(y, minlength=len(LABELS))
    weights = torch.tensor(len(y) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    plan = []
    whole, part = int(args.epochs), args.epochs - int(args.epochs)
    for _ in range(whole):
        plan += batches([len(e) for e in encoded], args.batch_size, rng)
    if part:
        extra = batches([len(e) for e in encoded], args.batch_size, rng)
        plan += extra[: int(len(extra) * part)]
    total = len(plan)
    warmup = max(1, int(0.06 * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    command = "python -m sentiment.train " + " ".join(argv if argv is not None else sys.argv[1:])
    seen = {i for batch in plan for i in batch}
    unseen = [i for i in range(len(y) - len(synthetic)) if i not in seen]
    if args.calibrate_only:
        from sentiment.finetuned_model import load_finetuned

        model, meta = load_finetuned(args.out)
        return calibrate(model, meta, tokenizer, args, [texts[i] for i in unseen], y[unseen], val_texts, y_val, command)
    print(
        f"train n={len(y)} synthetic={len(synthetic)} steps={total} seed={args.seed} threads={args.threads}", flush=True
    )
    best: dict = {"val_macro_recall": -1.0}
    started = time.time()
    losses: list[float] = []

    def evaluate(step: int) -> None:
        pred = predict(model, tokenizer, val_texts, args.max_length)
        per_class = recalls(y_val, pred)
        macro = statistics.fmean(per_class)
        line = " ".join(f"recall_{name}={r:.4f}" for name, r in zip(LABELS, per_class))
        print(f"step={step} val_macro_recall={macro:.4f} {line} minutes={(time.time() - started) / 60:.1f}", flush=True)
        if macro > best["val_macro_recall"]:
            best.update(
                val_macro_recall=round(macro, 4),
                step=step,
                val_recall={name: round(r, 4) for name, r in zip(LABELS, per_class)},
            )
            save_delta(
                model,
                args.out,
                {
                    "base": base_version(),
                    "command": command,
                    "seed": args.seed,
                    "steps": total,
                    "best_step": step,
                    "train": f"{args.train.name} (n={len(y) - len(synthetic)}) + "
                    f"sentiment.synthetic (n={len(synthetic)})",
                    "val": f"{args.val.name} (n={len(y_val)})",
                    "val_macro_recall": round(macro, 4),
                    "val_recall": best["val_recall"],
                    "max_length": args.max_length,
                    "lr": args.lr,
                    "batch_size": args.batch_size,
                    "epochs": args.epochs,
                    "freeze_layers": args.freeze_layers,
                },
            )
        model.train()

    model.train()
    for step, idx in enumerate(plan, start=1):
        enc = tokenizer.pad({"input_ids": [encoded[i] for i in idx]}, return_tensors="pt")
        logits = model(enc["input_ids"], enc["attention_mask"])
        loss = loss_fn(logits, torch.as_tensor(y[idx]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if step % 50 == 0:
            print(
                f"step={step}/{total} loss={statistics.fmean(losses[-50:]):.4f} "
                f"s_per_step={(time.time() - started) / step:.2f}",
                flush=True,
            )
        if args.eval_every and step % args.eval_every == 0 and step < total:
            evaluate(step)
    evaluate(total)
    print(f"best step={best['step']} val_macro_recall={best['val_macro_recall']:.4f} out={args.out}", flush=True)
    if args.calibrate and unseen:
        from sentiment.finetuned_model import load_finetuned

        model, meta = load_finetuned(args.out)
        return calibrate(model, meta, tokenizer, args, [texts[i] for i in unseen], y[unseen], val_texts, y_val, command)
    return best


def calibrate(model, meta, tokenizer, args, texts, y, val_texts, y_val, command) -> dict:
    """Shift the neutral and positive biases to maximise macro-recall on train.tsv
    texts this run never trained on (a seeded sample of --calibrate of them).
    Class weighting in the loss over-corrects toward the rare class; this
    undoes that on data the model has not seen. val.tsv is only reported."""
    import torch

    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(texts), size=min(args.calibrate, len(texts)), replace=False)
    started = time.time()
    logits = _logits(model, tokenizer, [texts[i] for i in pick], args.max_length)
    truth = y[pick]
    grid = np.round(np.arange(-1.0, 1.0001, 0.05), 2)
    best = max(
        ((statistics.fmean(recalls(truth, (logits + [0.0, dn, dp]).argmax(1))), dn, dp) for dn in grid for dp in grid),
        key=lambda t: (t[0], -abs(t[1]) - abs(t[2])),
    )
    _, dn, dp = best
    before = statistics.fmean(recalls(y_val, predict(model, tokenizer, val_texts, args.max_length)))
    with torch.no_grad():
        model.classifier.bias += torch.tensor([0.0, dn, dp])
    per_class = recalls(y_val, predict(model, tokenizer, val_texts, args.max_length))
    after = statistics.fmean(per_class)
    print(
        f"calibration n={len(pick)} neutral_bias={dn:+.2f} positive_bias={dp:+.2f} "
        f"unseen_macro_recall={best[0]:.4f} val_macro_recall_before={before:.4f} val_macro_recall={after:.4f} "
        f"minutes={(time.time() - started) / 60:.1f}",
        flush=True,
    )
    meta = {k: v for k, v in meta.items() if k not in ("delta_sha256", "labels")}
    meta.update(
        calibration={
            "command": command,
            "n": int(len(pick)),
            "from": "train.tsv texts not in this run's batches (seeded sample)",
            "neutral_bias": float(dn),
            "positive_bias": float(dp),
            "unseen_macro_recall": round(best[0], 4),
            "val_macro_recall_before": round(before, 4),
        },
        val_macro_recall=round(after, 4),
        val_recall={name: round(r, 4) for name, r in zip(LABELS, per_class)},
    )
    save_delta(model, args.out, meta)
    return {"val_macro_recall": round(after, 4), "calibration": meta["calibration"]}


def _logits(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> np.ndarray:
    import torch

    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            out[idx] = model(enc["input_ids"], enc["attention_mask"]).numpy()
    return out


if __name__ == "__main__":
    main()
