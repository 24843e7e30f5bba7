"""The offline default engine: MiniLM fine-tuned on tweets and customer-service
posts (sentiment.train), run by torch or ONNX Runtime (sentiment.runtime)
with the engine's own thread count.

Its version names the weights and the runtime, e.g.
`minilm-ft-1a2b3c4d5e/onnx-int8`, so a message's label can always be traced
to what produced it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from model.score import Score
from sentiment.finetuned_model import FINETUNED_DIR, load_finetuned, load_tokenizer
from sentiment.heads import active_head
from sentiment.minilm import probs_to_score
from sentiment.preprocess import for_model
from sentiment.runtime import EXPORT_FORMAT, RUNTIMES, Head, choose_runtime, make_runner, resolve_threads, softmax
from sentiment.topic_vectors import KIND as TOPIC_KIND
from sentiment.topic_vectors import TopicVectors

log = logging.getLogger("crisisdesk.sentiment")


class FineTunedEngine:
    name = "minilm-ft"
    vector_kind = TOPIC_KIND  # narratives: topic vectors from the word-embedding table (sentiment.topic_vectors)

    def __init__(
        self,
        *,
        folder: Path = FINETUNED_DIR,
        name: str = "minilm-ft",
        cache_dir: Path,
        runtime: str = "auto",
        threads: int = 0,
        batch_size: int = 64,
        max_length: int | None = None,
    ) -> None:
        if runtime not in ("auto", *RUNTIMES):
            raise ValueError(f"runtime must be auto or one of {RUNTIMES}, got {runtime!r}")
        self.name = name
        model, self.meta = load_finetuned(folder)
        self.tokenizer = load_tokenizer()
        self.topics = TopicVectors(self.tokenizer)
        self.threads = resolve_threads(threads)
        self.batch_size = batch_size
        self.max_length = max_length or int(self.meta.get("max_length", 64))
        digest = self.meta["delta_sha256"][:10]
        export_dir = Path(cache_dir) / "models" / f"minilm-ft-{digest}-{EXPORT_FORMAT}"
        self.shipped_head = Head(
            model.classifier.weight.detach().numpy(), model.classifier.bias.detach().numpy(), version=""
        )
        self.digest = digest
        self.heads_dir = Path(cache_dir) / "models" / "heads"
        self.head = active_head(self.heads_dir, digest) or self.shipped_head
        self.choice: dict | None = None
        if runtime == "auto":
            self.choice = choose_runtime(model, self._batches, self.shipped_head, export_dir, self.threads)
            runtime = self.choice["runtime"]
        self.runner = make_runner(runtime, model, export_dir, self.threads)
        self.runtime = runtime
        self.version = f"minilm-ft-{digest}/{runtime}" + (f"+head-{self.head.version}" if self.head.version else "")
        log.info("sentiment engine %s with %d thread(s)", self.version, self.threads)

    def _batches(self, texts: Sequence[str]) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
        """Similar-length texts together (little padding), as (indices, ids, mask)."""
        cleaned = [for_model(t) for t in texts]
        ids = self.tokenizer(cleaned, truncation=True, max_length=self.max_length)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = []
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in idx)
            arr = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                arr[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            out.append((idx, arr, mask))
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled encoder output per text (what the head reads)."""
        out = None
        for idx, ids, mask in self._batches(texts):
            pooled = self.runner.pooled(ids, mask)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
        return out if out is not None else np.zeros((0, self.shipped_head.weight.shape[1]), dtype=np.float32)

    def probabilities(self, texts: Sequence[str], head: Head | None = None) -> np.ndarray:
        return softmax((head or self.head).logits(self.embed(texts))).astype(np.float64)

    def use_head(self, head: Head) -> None:
        """Score with this head from now on (a retrained one, or the shipped one)."""
        self.head = head
        base = self.version.split("+head-")[0]
        self.version = base + (f"+head-{head.version}" if head.version else "")

    def embeddings_for(self, texts: Sequence[str]) -> np.ndarray:
        """Topic vectors for narratives (unit length). Not the pooled output: that is trained
        to separate tones, so different stories with the same tone would look alike."""
        return self.topics(texts)

    def score(self, texts: Sequence[str]) -> list[Score]:
        if not texts:
            return []
        return [probs_to_score(row) for row in self.probabilities(texts)]
