"""Any Hugging Face sequence-classification model as a sentiment engine.

The model is named by hub id (for example
cardiffnlp/twitter-roberta-base-sentiment-latest) or by local path. Texts are
normalised as the Twitter models' cards ask (@user, http), truncated to
`max_length` tokens and scored in batches on the GPU when there is one.

Models name their classes in many ways; each class is mapped to one of our
three labels and a polarity in [-1, 1]:
  LABEL_0/1/2 (3 classes)          -> negative, neutral, positive
  LABEL_0/1 (2 classes)            -> negative, positive
  negative / neutral / positive    (any case; neg/neu/pos; "very ..." too)
  1 star ... 5 stars               -> 1-2 negative, 3 neutral, 4-5 positive
The label is the most probable of the three (after summing classes that map
to it), the score is the probability-weighted polarity.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from model.score import LABELS, Score
from sentiment.device import choose_device
from sentiment.preprocess import for_model

log = logging.getLogger("crisisdesk.sentiment")

_NAMED = {
    "negative": ("negative", -1.0),
    "neg": ("negative", -1.0),
    "very negative": ("negative", -1.0),
    "neutral": ("neutral", 0.0),
    "neu": ("neutral", 0.0),
    "positive": ("positive", 1.0),
    "pos": ("positive", 1.0),
    "very positive": ("positive", 1.0),
}
_STARS = re.compile(r"^([1-5]) stars?$")
_GENERIC = re.compile(r"^label_(\d+)$")


class UnknownLabels(ValueError):
    """The model's class names cannot be mapped to negative/neutral/positive."""


def label_mapping(id2label: dict[int, str], model: str = "model") -> list[tuple[str, float]]:
    """(our label, polarity) for each of the model's class indices."""
    names = [str(id2label[i]).strip().lower() for i in range(len(id2label))]
    if all(_GENERIC.match(n) for n in names):
        by_count = {
            2: ["negative", "positive"],
            3: ["negative", "neutral", "positive"],
            5: ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"],
        }
        if len(names) not in by_count:
            raise UnknownLabels(f"{model}: {len(names)} classes named LABEL_k; cannot tell which is which")
        names = by_count[len(names)]
    mapping = []
    for name in (n.replace("_", " ") for n in names):
        if name in _NAMED:
            mapping.append(_NAMED[name])
        elif star := _STARS.match(name):
            stars = int(star.group(1))
            mapping.append((LABELS[0] if stars < 3 else LABELS[1] if stars == 3 else LABELS[2], (stars - 3) / 2))
        else:
            raise UnknownLabels(f"{model}: class {name!r} is not a sentiment label this engine knows")
    return mapping


class TransformerEngine:
    def __init__(
        self,
        model: str,
        *,
        revision: str | None = None,
        device: str | None = None,
        batch_size: int = 32,
        max_length: int = 128,
        local_files_only: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        started = time.monotonic()
        log.info("loading sentiment model %s%s", model, f"@{revision}" if revision else "")
        kwargs = {"revision": revision or None, "local_files_only": local_files_only}
        self.tokenizer = AutoTokenizer.from_pretrained(model, **kwargs)
        self.device = choose_device(device)
        self.model = AutoModelForSequenceClassification.from_pretrained(model, **kwargs).to(self.device).eval()
        mapping = label_mapping(self.model.config.id2label, model)
        self._bucket = np.zeros((len(mapping), len(LABELS)), dtype=np.float64)
        for i, (label, _) in enumerate(mapping):
            self._bucket[i, LABELS.index(label)] = 1.0
        self._polarity = np.array([p for _, p in mapping], dtype=np.float64)
        self.batch_size = batch_size
        self.max_length = max_length
        self.name = f"transformer:{model}"
        self.version = revision or getattr(self.model.config, "_commit_hash", None) or _local_digest(model)
        self._torch = torch
        log.info("loaded %s (%s) on %s in %.1f s", model, self.version, self.device, time.monotonic() - started)

    def score(self, texts: Sequence[str]) -> list[Score]:
        return [self._to_score(row) for row in self.probabilities(texts)]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """The model's own class probabilities, one row per text."""
        torch = self._torch
        out = np.zeros((len(texts), len(self._polarity)), dtype=np.float64)
        cleaned = [for_model(t) for t in texts]
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self.tokenizer(
                    [cleaned[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**enc).logits.float()
                out[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
        return out

    def _to_score(self, probs: np.ndarray) -> Score:
        label = LABELS[int(np.argmax(probs @ self._bucket))]
        return Score(label, float(np.clip(probs @ self._polarity, -1.0, 1.0)))


def _local_digest(model: str) -> str:
    """A version for a model on disk: a digest of its weight files' names, sizes and times."""
    path = Path(model)
    if not path.is_dir():
        return "unknown"
    digest = hashlib.sha256()
    for file in sorted(path.glob("*")):
        if file.is_file():
            stat = file.stat()
            digest.update(f"{file.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return "local-" + digest.hexdigest()[:10]


_loaded: dict[tuple, TransformerEngine] = {}
_lock = threading.Lock()


def load_transformer(model: str, **kwargs) -> TransformerEngine:
    """One engine per model, revision and device in a process, loaded once."""
    key = (model, tuple(sorted(kwargs.items())))
    with _lock:
        if key not in _loaded:
            _loaded[key] = TransformerEngine(model, **kwargs)
        return _loaded[key]
