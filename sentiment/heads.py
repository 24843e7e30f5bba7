"""Retrained heads for the fine-tuned MiniLM, kept in the data dir.

<data_dir>/models/heads/<version>.npz holds a head's weights and the
fine-tuned weights it was trained over; active.json names the head that
scores. A head trained over other fine-tuned weights is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from sentiment.runtime import Head

ACTIVE = "active.json"


def head_version(weight: np.ndarray, bias: np.ndarray) -> str:
    raw = np.ascontiguousarray(weight, dtype=np.float32).tobytes() + np.ascontiguousarray(bias, np.float32).tobytes()
    return hashlib.sha256(raw).hexdigest()[:10]


def save_head(folder: Path, weight: np.ndarray, bias: np.ndarray, base: str) -> Head:
    folder.mkdir(parents=True, exist_ok=True)
    version = head_version(weight, bias)
    tmp = folder / f"{version}.tmp{os.getpid()}.npz"
    np.savez(tmp, weight=np.asarray(weight, np.float32), bias=np.asarray(bias, np.float32), base=np.array(base))
    tmp.replace(folder / f"{version}.npz")
    return Head(weight, bias, version)


def load_head(folder: Path, version: str, base: str) -> Head:
    with np.load(folder / f"{version}.npz") as data:
        if str(data["base"]) != base:
            raise ValueError(f"head {version} was trained over minilm-ft-{data['base']}, not minilm-ft-{base}")
        return Head(data["weight"], data["bias"], version)


def activate(folder: Path, version: str | None, base: str) -> None:
    """Score with this head from the next engine load on (None: the shipped head)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{ACTIVE}.tmp{os.getpid()}"
    tmp.write_text(json.dumps({"version": version, "base": base}) + "\n")
    tmp.replace(folder / ACTIVE)


def active_head(folder: Path, base: str) -> Head | None:
    path = folder / ACTIVE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if not data.get("version") or data.get("base") != base:
        return None
    return load_head(folder, data["version"], base)
