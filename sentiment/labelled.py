"""Labelled text files: TSV with the header `label<TAB>text`, one per line."""

from __future__ import annotations

from pathlib import Path

from model.score import LABELS


class LabelledFileError(ValueError):
    pass


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """(labels, texts); every problem names the file and line."""
    labels: list[str] = []
    texts: list[str] = []
    with Path(path).open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n")
        if header.split("\t") != ["label", "text"]:
            raise LabelledFileError(f"{path} line 1: expected the header 'label<TAB>text', got {header[:60]!r}")
        for number, line in enumerate(fh, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            label, sep, text = line.partition("\t")
            if not sep:
                raise LabelledFileError(f"{path} line {number}: expected 'label<TAB>text'")
            if label not in LABELS:
                raise LabelledFileError(f"{path} line {number}: label must be one of {LABELS}, got {label!r}")
            labels.append(label)
            texts.append(text)
    return labels, texts
