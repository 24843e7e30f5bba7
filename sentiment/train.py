"""Fine-tune the MiniLM encoder (not only a head) for 3-class sentiment, on CPU
(or a GPU with --device cuda), and distil it into a smaller, faster student.

    nice -n 10 python -m sentiment.train [--seed 0] [--epochs 1] [--threads 1]
    python -m sentiment.train --init sentiment/finetuned --teacher sentiment/finetuned --layers 3 --holdout 3000

Data: train.tsv (../shared/data/sentiment/) plus --synthetic posts from
sentiment.synthetic (customer-service complaints, sarcasm, calm questions,
fixed-problem praise; same seed, same posts). Class-weighted cross-entropy
(macro-recall is the metric), AdamW with linear warm-up and decay,
length-bucketed batches (little padding, so CPU time goes to real tokens).
The word embeddings stay frozen, so only the transformer layers and the
classifier are saved: sentiment/finetuned/delta.safetensors (fp16, ~3.5 MB a
layer) and meta.json with the command, seed and validation figures.

--init FOLDER starts from a trained delta instead of the base model; with
--layers N (fewer than it has) the student keeps N evenly spaced layers of
it (e.g. 0, 2, 5 of 6 for N=3: the lowest, the top and between). --teacher
FOLDER adds distillation: the loss is (1 - alpha) x cross-entropy on the
gold labels + alpha x T^2 x KL to the teacher's softened probabilities.

--holdout N keeps N train.tsv texts out of training (a seeded sample; with
--init, of the texts the init's run never trained on, or the init's own
holdout): the best checkpoint (evaluated every --eval-every steps) is picked
on them and --calibrate sets the class biases on them. val.tsv is then only
reported, never used to choose. Without --holdout the checkpoint is picked
on val.tsv (the first models were trained that way).
"""

from __future__ import annotations

import argparse
import random
import re
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
BASE_LAYERS = 6


def recalls(truth: np.ndarray, pred: np.ndarray) -> list[float]:
    return [float(np.mean(pred[truth == k] == k)) if np.any(truth == k) else 0.0 for k in range(len(LABELS))]


def batches(
    lengths: list[int], batch_size: int, rng: random.Random, indices: list[int] | None = None
) -> list[list[int]]:
    """Shuffled batches of similar-length texts (of `indices`, default all)."""
    order = list(range(len(lengths))) if indices is None else list(indices)
    rng.shuffle(order)
    out = []
    pool = batch_size * 50
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def make_plan(
    lengths: list[int], epochs: float, batch_size: int, rng: random.Random, indices: list[int] | None = None
) -> list[list[int]]:
    plan = []
    whole, part = int(epochs), epochs - int(epochs)
    for _ in range(whole):
        plan += batches(lengths, batch_size, rng, indices)
    if part:
        extra = batches(lengths, batch_size, rng, indices)
        plan += extra[: int(len(extra) * part)]
    return plan


def spaced_layers(have: int, keep: int) -> list[int]:
    """`keep` of `have` layers, evenly spaced, always the top one (the head reads it)."""
    if not 1 <= keep <= have:
        raise ValueError(f"--layers must be between 1 and {have}, got {keep}")
    if keep == 1:
        return [have - 1]
    return sorted({round(i * (have - 1) / (keep - 1)) for i in range(keep)})


def predict(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> np.ndarray:
    return _logits(model, tokenizer, texts, max_length, batch_size).argmax(1)


def _logits(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> np.ndarray:
    import torch

    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            logits = model(enc["input_ids"].to(device), enc["attention_mask"].to(device))
            out[idx] = logits.float().cpu().numpy()
    return out


def _init_layers(meta: dict) -> int:
    return int(meta.get("layers", 0)) or BASE_LAYERS


def student_from(init_model, init_meta: dict, layers: int | None, ffn: int | None = None, dropout: float = 0.1):
    """A model with `layers` of the init's layers (evenly spaced), its head and pooler; (model, kept).
    `ffn`: keep that many feed-forward units a layer, those with the largest
    |in-weights| x |out-weights| (the rest contribute least)."""
    have = _init_layers(init_meta)
    kept = spaced_layers(have, layers or have)
    width = init_model.encoder.config.intermediate_size
    if ffn and not 1 <= ffn <= width:
        raise ValueError(f"--ffn must be between 1 and {width}, got {ffn}")
    model = build_classifier(
        dropout=dropout,
        layers=len(kept) if len(kept) != BASE_LAYERS else None,
        intermediate=ffn if ffn and ffn != width else None,
    )
    source = init_model.state_dict()
    prefix = "encoder.encoder.layer."
    state = {}
    units: dict[int, object] = {}
    for key in model.state_dict():
        if not key.startswith(prefix):
            state[key] = source[key]
            continue
        number, rest = key[len(prefix) :].split(".", 1)
        old = f"{prefix}{kept[int(number)]}."
        tensor = source[old + rest]
        if ffn and ffn != width and rest.startswith(("intermediate.dense.", "output.dense.weight")):
            if int(number) not in units:
                w_in, w_out = source[old + "intermediate.dense.weight"], source[old + "output.dense.weight"]
                importance = w_in.norm(dim=1) * w_out.norm(dim=0)
                units[int(number)] = importance.argsort(descending=True)[:ffn].sort().values
            keep = units[int(number)]
            tensor = tensor[:, keep] if rest == "output.dense.weight" else tensor[keep]
        state[key] = tensor
    model.load_state_dict(state)
    return model, kept


def _init_synthetic(meta: dict) -> int | None:
    if "synthetic" in meta:
        return int(meta["synthetic"])
    found = re.search(r"sentiment\.synthetic \(n=(\d+)\)", meta.get("train", ""))
    return int(found.group(1)) if found else None


def holdout_indices(args, init_meta: dict | None, n_train: int, lengths: list[int], synthetic_n: int) -> tuple:
    """(sorted train.tsv indices held out, where they come from)."""
    if init_meta and init_meta.get("holdout", {}).get("indices"):
        held = [int(i) for i in init_meta["holdout"]["indices"]]
        if max(held) >= n_train:
            raise ValueError("--init's holdout does not fit this --train file (another file or --limit?)")
        return held, init_meta["holdout"]["from"]
    pool = list(range(n_train))
    source = f"{args.train.name}, seeded sample (seed {args.seed})"
    if init_meta:
        same = (
            _init_synthetic(init_meta) == synthetic_n
            and int(init_meta.get("seed", -1)) == args.seed
            and int(init_meta.get("max_length", -1)) == args.max_length
        )
        if not same:
            raise ValueError(
                "--holdout with --init needs the init's --seed, --synthetic and --max-length "
                "(to tell which texts its run never saw)"
            )
        replay = make_plan(lengths, float(init_meta["epochs"]), int(init_meta["batch_size"]), random.Random(args.seed))
        seen = {i for batch in replay for i in batch}
        pool = [i for i in pool if i not in seen]
        source = f"{args.train.name} texts the init's run never trained on, seeded sample (seed {args.seed})"
    if not pool:
        raise ValueError("--holdout: no train.tsv text is left that --init's run never trained on")
    rng = np.random.default_rng(args.seed)
    held = sorted(int(i) for i in rng.choice(pool, size=min(args.holdout, len(pool)), replace=False))
    return held, source


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
    parser.add_argument("--device", default="cpu", help="torch device for training: cpu, cuda")
    parser.add_argument("--eval-every", type=int, default=400)
    parser.add_argument("--freeze-layers", type=int, default=0, help="also keep the lowest N transformer layers frozen")
    parser.add_argument("--init", type=Path, default=None, help="start from this trained delta folder")
    parser.add_argument("--layers", type=int, default=0, help="keep N transformer layers (a smaller, faster student)")
    parser.add_argument("--ffn", type=int, default=0, help="with --init: keep N feed-forward units a layer")
    parser.add_argument("--teacher", type=Path, default=None, help="distil from this trained delta folder")
    parser.add_argument("--alpha", type=float, default=0.7, help="weight of the teacher in the loss")
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument("--holdout", type=int, default=0, help="train.tsv texts kept out: checkpoint and calibration")
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
    device = torch.device(args.device)
    rng = random.Random(args.seed)
    labels, texts = read_labelled(args.train)
    if args.limit:
        labels, texts = labels[: args.limit], texts[: args.limit]
    n_train = len(texts)
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
    lengths = [len(e) for e in encoded]
    init_meta, kept = None, None
    if args.init:
        from sentiment.finetuned_model import load_finetuned

        init_model, init_meta = load_finetuned(args.init)
        model, kept = student_from(init_model, init_meta, args.layers or None, args.ffn or None)
        del init_model
    else:
        if args.ffn:
            parser.error("--ffn needs --init (the units kept are chosen from trained weights)")
        model = build_classifier(layers=args.layers or None)
        if args.layers:
            kept = list(range(args.layers))
    held, held_from = [], ""
    if args.holdout:
        held, held_from = holdout_indices(args, init_meta, n_train, lengths, len(synthetic))
    held_set = set(held)
    train_idx = [i for i in range(len(y)) if i not in held_set]
    hold_texts, y_hold = [texts[i] for i in held], y[held]

    layers_now = model.encoder.config.num_hidden_layers
    frozen = ("encoder.embeddings.", *(f"encoder.encoder.layer.{i}." for i in range(args.freeze_layers)))
    for name, param in model.named_parameters():
        param.requires_grad = not name.startswith(frozen)
    model.to(device)
    counts = np.bincount(y[train_idx], minlength=len(LABELS))
    weights = torch.tensor(len(train_idx) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights.to(device))
    soft = None
    if args.teacher:
        from sentiment.finetuned_model import load_finetuned

        teacher, teacher_meta = load_finetuned(args.teacher)
        teacher_held = teacher_meta.get("holdout", {}).get("indices")
        if held and teacher_held is not None and sorted(teacher_held) != held:
            raise ValueError("--teacher was trained on texts of this run's holdout (its holdout differs)")
        started = time.time()
        soft = torch.from_numpy(_logits(teacher.to(device), tokenizer, texts, args.max_length))
        print(f"teacher logits n={len(texts)} minutes={(time.time() - started) / 60:.1f}", flush=True)
        del teacher
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    plan = make_plan(lengths, args.epochs, args.batch_size, rng, train_idx)
    total = len(plan)
    warmup = max(1, int(0.06 * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    command = "python -m sentiment.train " + " ".join(argv if argv is not None else sys.argv[1:])
    seen = {i for batch in plan for i in batch}
    unseen = [i for i in range(n_train) if i not in seen and i not in held_set]
    if args.calibrate_only:
        from sentiment.finetuned_model import load_finetuned

        model, meta = load_finetuned(args.out)
        if held:
            return calibrate(model, meta, tokenizer, args, hold_texts, y_hold, val_texts, y_val, command, held_from)
        return calibrate(model, meta, tokenizer, args, [texts[i] for i in unseen], y[unseen], val_texts, y_val, command)
    print(
        f"train n={len(train_idx)} synthetic={len(synthetic)} holdout={len(held)} steps={total} layers={layers_now} "
        f"seed={args.seed} threads={args.threads} device={args.device}",
        flush=True,
    )
    best: dict = {"score": -1.0}
    started = time.time()
    losses: list[float] = []

    def evaluate(step: int) -> None:
        per_class = recalls(y_val, predict(model, tokenizer, val_texts, args.max_length))
        macro = statistics.fmean(per_class)
        line = " ".join(f"recall_{name}={r:.4f}" for name, r in zip(LABELS, per_class))
        hold_macro = statistics.fmean(recalls(y_hold, predict(model, tokenizer, hold_texts, args.max_length)))
        score = hold_macro if held else macro
        print(
            f"step={step} holdout_macro_recall={hold_macro if held else float('nan'):.4f} val_macro_recall={macro:.4f} "
            f"{line} minutes={(time.time() - started) / 60:.1f}",
            flush=True,
        )
        if score > best["score"]:
            best.update(
                score=score,
                val_macro_recall=round(macro, 4),
                step=step,
                val_recall={name: round(r, 4) for name, r in zip(LABELS, per_class)},
            )
            meta = {
                "base": base_version(),
                "command": command,
                "seed": args.seed,
                "steps": total,
                "best_step": step,
                "selected_on": f"holdout (n={len(held)})" if held else f"{args.val.name}",
                "train": f"{args.train.name} (n={n_train - len(held)}) + sentiment.synthetic (n={len(synthetic)})",
                "synthetic": len(synthetic),
                "val": f"{args.val.name} (n={len(y_val)})",
                "val_macro_recall": round(macro, 4),
                "val_recall": best["val_recall"],
                "max_length": args.max_length,
                "lr": args.lr,
                "batch_size": args.batch_size,
                "epochs": args.epochs,
                "freeze_layers": args.freeze_layers,
                "layers": layers_now,
                "intermediate_size": model.encoder.config.intermediate_size,
            }
            if init_meta is not None:  # loaded from args.init
                meta["init"] = {
                    "folder": args.init.name,
                    "delta_sha256": init_meta["delta_sha256"],
                    "layers_kept": kept,
                }
            if soft is not None:
                meta["distillation"] = {
                    "teacher": args.teacher.name,
                    "alpha": args.alpha,
                    "temperature": args.temperature,
                }
            if held:
                meta["holdout_macro_recall"] = round(hold_macro, 4)
                meta["holdout"] = {"n": len(held), "from": held_from, "indices": held}
            save_delta(model.cpu(), args.out, meta)
            model.to(device)
        model.train()

    model.train()
    temperature = args.temperature
    for step, idx in enumerate(plan, start=1):
        enc = tokenizer.pad({"input_ids": [encoded[i] for i in idx]}, return_tensors="pt")
        logits = model(enc["input_ids"].to(device), enc["attention_mask"].to(device))
        loss = loss_fn(logits, torch.as_tensor(y[idx], device=device))
        if soft is not None:
            target = torch.softmax(soft[idx].to(device) / temperature, dim=-1)
            kd = torch.nn.functional.kl_div(
                torch.log_softmax(logits / temperature, dim=-1), target, reduction="batchmean"
            )
            loss = (1 - args.alpha) * loss + args.alpha * temperature**2 * kd
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
    print(
        f"best step={best['step']} selected_on={'holdout' if held else 'val'} score={best['score']:.4f} "
        f"val_macro_recall={best['val_macro_recall']:.4f} out={args.out}",
        flush=True,
    )
    best.pop("score")
    if args.calibrate and (held or unseen):
        from sentiment.finetuned_model import load_finetuned

        model, meta = load_finetuned(args.out)
        if held:
            return calibrate(model, meta, tokenizer, args, hold_texts, y_hold, val_texts, y_val, command, held_from)
        return calibrate(model, meta, tokenizer, args, [texts[i] for i in unseen], y[unseen], val_texts, y_val, command)
    return best


def calibrate(model, meta, tokenizer, args, texts, y, val_texts, y_val, command, source: str = "") -> dict:
    """Shift the neutral and positive biases to maximise macro-recall on train.tsv
    texts this run never trained on (the --holdout, or a seeded sample of
    --calibrate texts its batches left out). Class weighting in the loss
    over-corrects toward the rare class; this undoes that on data the model
    has not seen. val.tsv is only reported."""
    import torch

    rng = np.random.default_rng(args.seed)
    if source:  # the holdout: all of it
        pick = np.arange(len(texts))
    else:
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
            "from": source or "train.tsv texts not in this run's batches (seeded sample)",
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


if __name__ == "__main__":
    main()
