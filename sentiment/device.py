"""Where models run: the GPU when there is one, else the CPU."""

from __future__ import annotations


def choose_device(wanted: str | None = None) -> str:
    """`wanted` ("cpu", "cuda", "cuda:1", "mps") wins; else cuda if available, else cpu."""
    import torch

    if wanted:
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"
