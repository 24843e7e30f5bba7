"""Narratives: what people are saying, as stories, each with a real post.

Posts are clustered by meaning, incrementally: each poll's new posts join the
nearest active story (cosine similarity of sentence vectors to the story's
centroid) or start one. The vectors are the MiniLM engine's own sentence
embeddings, made while it scored the posts (nothing is encoded twice).
Engines without embeddings (VADER, a configured transformer) fall back to a
cheap hashed TF-IDF vector of content words and word pairs, which groups
reposts and near-copies but fewer paraphrases.

Reposts and near-duplicates collapse first: posts whose text is the same once
an "RT @x:" prefix, links, @handles, case and punctuation are removed share a
key, and a key once seen belongs to its story.

This module is the grouping itself, with no store; crisis/narrative_store.py
keeps the stories in the store and reads them for the pages.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

# Cosine similarity to a story's centroid from which a post joins it, per vector kind (sentence
# vectors are compared with the running mean taken out, so the bar is lower than raw cosine).
THRESHOLDS = {"minilm-l6": 0.35, "minilm-tok": 0.35, "hashed": 0.45}
HASH_DIM = 2048

_RT = re.compile(r"^\s*(?:rt\b:?\s*(?:@[\w.@-]+:?)?\s*)+", re.IGNORECASE)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")
_LINK_OR_MENTION = re.compile(f"{_LINK.pattern}|{_MENTION.pattern}", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
STOP_WORDS = frozenset(
    """a an the and or but if so of to in on at by for from with into onto about as is are was were be been being am
    do does did doing done have has had having i me my mine we us our you your he him his she her it its they them
    their this that these those there here what which who whom whose when where why how all any both each few more
    most other some such no nor not only own same than too very can will just should would could now then also
    again ever even still yet really get got gets make made go going gone say says said see know think like want
    one two new today tonight day time way thing things lot lots anyone someone everyone anything something guys
    rt http https www com amp im ive dont cant wont isnt arent didnt doesnt thats whats theres youre""".split()
)


def normalise(text: str) -> str:
    """The text a repost shares with its original: no RT prefix, links, handles, case or punctuation."""
    if text[:3].lstrip()[:2].lower() == "rt" or text[:1].isspace():
        text = _RT.sub("", text)
    text = _LINK_OR_MENTION.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def text_key(text: str) -> str:
    return hashlib.blake2b(normalise(text).encode(), digest_size=12).hexdigest()


def is_repost(text: str) -> bool:
    return bool(_RT.match(text)) and text.lstrip()[:2].lower() == "rt"


def _tokens(text: str) -> list[str]:
    words = [w for w in normalise(text).split() if len(w) > 2 and w not in STOP_WORDS and not w.isdigit()]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def hashed_counts(texts: Sequence[str]) -> np.ndarray:
    """Sublinear term counts of content words and word pairs, hashed (crc32, stable across processes)."""
    out = np.zeros((len(texts), HASH_DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for token in _tokens(text):
            out[i, zlib.crc32(token.encode()) % HASH_DIM] += 1.0
    np.log1p(out, out=out)
    return out


def unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


@dataclass
class Post:
    source: str
    external_id: str
    text: str
    created_at: int
    negative: bool
    reach: int
    key: str = ""  # text_key(text), filled in by absorb when empty


@dataclass(eq=False)
class Story:
    """One narrative while it is updated: running vector sum and totals."""

    id: int | None
    vector_sum: np.ndarray
    rep: tuple[str, str] | None
    rep_vector: np.ndarray | None
    rep_is_repost: bool = False
    count: int = 0
    negative: int = 0
    reach: int = 0
    first_seen: int = 0
    last_seen: int = 0
    batch: list[Post] = field(default_factory=list)  # posts that joined in this batch
    rep_changed: bool = False

    @property
    def centroid(self) -> np.ndarray:
        return unit(self.vector_sum)


def _segments(order: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Start positions of each run of equal labels in labels[order]."""
    sorted_labels = labels[order]
    return np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])


def _sums_by(labels: np.ndarray, n: int, rows: np.ndarray) -> np.ndarray:
    """Row sums per label (0..n-1), as one sparse product: no copies, no Python loop."""
    from scipy import sparse  # here: the worker and the pages start faster without it

    one_hot = sparse.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))), shape=(n, len(labels))
    )
    return np.asarray(one_hot @ rows, dtype=np.float32)


def cluster(
    stories: list[Story], posts: list[Post], vectors: np.ndarray, threshold: float, by_key: dict
) -> list[Story]:
    """Put each post in a story: by its key first, else the most similar centroid at or
    above `threshold`, else a new story; then update the stories' totals and
    representatives, vectorised. Returns the stories touched or made (in `stories` too)."""
    group_index: dict[str, int] = {}
    group_of = np.fromiter(
        (group_index.setdefault(p.key, len(group_index)) for p in posts), dtype=np.int64, count=len(posts)
    )
    group_keys = list(group_index)
    group_sums = _sums_by(group_of, len(group_keys), vectors)
    target_of: list[Story | None] = [by_key.get(key) for key in group_keys]
    unmatched = [g for g, story in enumerate(target_of) if story is None]
    if unmatched:
        group_vectors = unit(group_sums[unmatched])
        existing = list(stories)
        if existing:
            sims = group_vectors @ unit(np.stack([s.vector_sum for s in existing])).T
            best_i = sims.argmax(axis=1)
            best_s = sims[np.arange(len(unmatched)), best_i].tolist()
            best_i = best_i.tolist()
        else:
            best_i, best_s = [0] * len(unmatched), [-1.0] * len(unmatched)
        made: list[Story] = []
        sums = np.zeros((16, vectors.shape[1]), dtype=np.float32)  # new stories' running sums, grown as needed
        centres = np.zeros_like(sums)
        for u, g in enumerate(unmatched):
            if best_s[u] >= threshold:
                target_of[g] = existing[best_i[u]]
                continue
            j = -1  # a new story, unless one made in this batch is near enough
            if made:
                new_sims = centres[: len(made)] @ group_vectors[u]
                j = int(new_sims.argmax())
                j = j if new_sims[j] >= threshold else -1
            if j < 0:
                if len(made) == len(sums):
                    sums, centres = np.vstack([sums, np.zeros_like(sums)]), np.vstack([centres, np.zeros_like(centres)])
                made.append(Story(None, np.zeros(vectors.shape[1], dtype=np.float32), None, None))
                stories.append(made[-1])
                j = len(made) - 1
            sums[j] += group_sums[g]
            centres[j] = unit(sums[j])
            target_of[g] = made[j]
    placed = [story for story in target_of if story is not None]  # every group has its story by now
    assert len(placed) == len(target_of)
    for key, story in zip(group_keys, placed):
        by_key[key] = story
    return _update(placed, group_of, posts, vectors)


def _update(target_of: list[Story], group_of: np.ndarray, posts: list[Post], vectors: np.ndarray) -> list[Story]:
    unique: dict[int, Story] = {}
    for story in target_of:
        unique.setdefault(id(story), story)
    touched = {key: i for i, key in enumerate(unique)}
    touched_list = list(unique.values())
    story_of = np.array([touched[id(s)] for s in target_of], dtype=np.int64)[group_of]
    order = np.argsort(story_of, kind="stable")
    starts = _segments(order, story_of)
    which = story_of[order][starts].tolist()
    n = len(touched_list)
    sums = _sums_by(story_of, n, vectors)
    counts = np.bincount(story_of, minlength=n).tolist()
    negative = np.bincount(story_of, weights=[p.negative for p in posts], minlength=n).tolist()
    reach = np.bincount(story_of, weights=[float(p.reach) for p in posts], minlength=n).tolist()
    times = np.array([p.created_at for p in posts], dtype=np.int64)[order]
    firsts = np.minimum.reduceat(times, starts).tolist()
    lasts = np.maximum.reduceat(times, starts).tolist()
    for k, s in enumerate(which):
        story = touched_list[s]
        story.vector_sum = story.vector_sum + sums[s]
        story.first_seen = min(story.first_seen, firsts[k]) if story.first_seen else firsts[k]
        story.last_seen = max(story.last_seen, lasts[k])
        story.count += counts[s]
        story.negative += int(negative[s])
        story.reach += int(reach[s])
    story_list = story_of.tolist()
    for i, s in enumerate(story_list):
        touched_list[s].batch.append(posts[i])
    # Representatives: per story, the original (not a repost) nearest its centroid, if
    # nearer than the one it has.
    centres = unit(np.stack([story.vector_sum for story in touched_list]))
    post_sims = np.einsum("ij,ij->i", vectors, centres[story_of])
    score = post_sims + 10.0 * np.array([not is_repost(p.text) for p in posts])
    by_score = np.lexsort((score, story_of))
    last = np.r_[np.flatnonzero(story_of[by_score][1:] != story_of[by_score][:-1]), len(posts) - 1]
    for i in by_score[last].tolist():
        story = touched_list[story_list[i]]
        if story.rep is not None and story.rep_vector is not None:
            kept = float(story.rep_vector @ centres[story_list[i]]) + (0.0 if story.rep_is_repost else 10.0)
            if kept >= score[i]:
                continue
        post = posts[i]
        story.rep, story.rep_vector, story.rep_is_repost = (post.source, post.external_id), vectors[i], score[i] < 5
        story.rep_changed = True
    return touched_list


def story_line(story: dict, width: int = 90) -> str:
    """'"So Tidewell left millions of…" (177 posts, 92% negative)': for summaries and Slack."""
    text = story["text"] if len(story["text"]) <= width else story["text"][: width - 1].rstrip() + "…"
    return f'"{text}" ({story["posts"]} posts, {story["negative_share"]:.0%} negative)'
