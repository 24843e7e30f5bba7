"""Pick the engine config.toml asks for, falling back explicitly.

engine = "auto" tries, in order:
  1. the configured model ([sentiment] model), if it is in the local
     Hugging Face cache or a local folder, or, with download = true, if the
     hub answers within a few seconds and the download succeeds;
  2. the fine-tuned MiniLM (offline: the packaged encoder plus the weights
     in sentiment/finetuned/, run by torch or ONNX Runtime, see
     sentiment.runtime);
  3. the packaged MiniLM encoder with a linear head (offline, the fallback);
  4. VADER, the lexicon.
Each step that is skipped says why; the choice and the reasons are shown on
every page. Asking for one engine by name ("transformer", "minilm-ft",
"minilm", "vader") uses that engine or fails with its reason.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sentiment.engine import Engine
from sentiment.rules import PhraseRules, RuledEngine
from settings import Settings

log = logging.getLogger("crisisdesk.sentiment")

DESCRIPTIONS = {
    "transformer": "{model}",
    "minilm-ft": "fine-tuned MiniLM (offline)",
    "minilm-ft-fast": "distilled 2-layer MiniLM (offline, fast)",
    "minilm": "MiniLM head (offline)",
    "vader": "VADER lexicon",
}
ORDER = ["transformer", "minilm-ft", "minilm", "vader"]


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    kind: str  # transformer / minilm / vader
    description: str  # what scores, and why not something better
    languages: str = ""  # where posts in other languages go ("" = not routed)


class EngineUnavailable(Exception):
    pass


def load_engine(settings: Settings) -> EngineChoice:
    cfg = settings.sentiment
    wanted = ORDER if cfg.engine == "auto" else [cfg.engine]
    reasons: list[str] = []
    for kind in wanted:
        try:
            engine = _load(kind, settings)
        except Exception as exc:  # every loader failure is a reason to fall back
            reason = f"{_title(kind, settings)} not available: {_short(exc)}"
            log.warning("%s", reason)
            reasons.append(reason)
            continue
        if cfg.rules:
            engine = RuledEngine(engine, PhraseRules(cfg.rules))
        routing = ""
        if cfg.languages:
            engine, routing = _route_languages(engine, settings)
        description = " - ".join([_title(kind, settings), *reasons])
        log.info("sentiment engine: %s%s", description, f"; {routing}" if routing else "")
        return EngineChoice(engine, kind, description, routing)
    raise EngineUnavailable("; ".join(reasons))


def _route_languages(engine: Engine, settings: Settings) -> tuple[Engine, str]:
    """The engine behind language detection; says where other languages go."""
    cfg = settings.sentiment
    from sentiment.language import LanguageRoutedEngine

    covered = "/".join(cfg.languages)
    multilingual = None
    if cfg.multilingual_model and _cached(cfg.multilingual_model):
        try:
            from sentiment.transformer import load_transformer

            multilingual = load_transformer(
                cfg.multilingual_model, local_files_only=True, device=cfg.device or None, max_length=cfg.max_length
            )
        except Exception as exc:
            log.info("multilingual model %s not available: %s", cfg.multilingual_model, _short(exc))
    routed = LanguageRoutedEngine(engine, cfg.languages, multilingual)
    if multilingual is not None:
        return routed, f"posts not in {covered}: {cfg.multilingual_model}"
    why = "not on this machine" if cfg.multilingual_model else "none configured"
    return routed, f"posts not in {covered}: unscored: language (multilingual model {why})"


def _cached(model: str) -> bool:
    """Is the model on this machine? Asked of the hub cache without importing torch and transformers
    (a VADER-only worker starts in a second, not ten)."""
    if Path(model).is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model, "config.json"), str)


def _title(kind: str, settings: Settings) -> str:
    return DESCRIPTIONS[kind].format(model=settings.sentiment.model)


def _load(kind: str, settings: Settings) -> Engine:
    cfg = settings.sentiment
    device = cfg.device or None
    if kind == "vader":
        from sentiment.lexicon import VaderEngine

        return VaderEngine()
    if kind == "minilm-ft":
        from sentiment.finetuned import FineTunedEngine

        return FineTunedEngine(cache_dir=settings.data_dir, runtime=cfg.runtime, threads=cfg.threads)
    if kind == "minilm-ft-fast":
        from sentiment.finetuned import FineTunedEngine
        from sentiment.finetuned_model import FAST_DIR

        return FineTunedEngine(
            folder=FAST_DIR,
            name="minilm-ft-fast",
            cache_dir=settings.data_dir,
            runtime=cfg.runtime,
            threads=cfg.threads,
        )
    if kind == "minilm":
        from sentiment.runtime import resolve_threads, set_torch_threads

        set_torch_threads(resolve_threads(cfg.threads))
        from sentiment.minilm import MiniLMHeadEngine

        return MiniLMHeadEngine(device=device)
    if not cfg.model:
        raise EngineUnavailable("no model configured")
    from sentiment.runtime import resolve_threads, set_torch_threads
    from sentiment.transformer import load_transformer

    set_torch_threads(resolve_threads(cfg.threads))

    options = dict(revision=cfg.revision or None, device=device, batch_size=cfg.batch_size, max_length=cfg.max_length)
    if Path(cfg.model).is_dir():
        return load_transformer(cfg.model, local_files_only=True, **options)
    try:
        return load_transformer(cfg.model, local_files_only=True, **options)
    except OSError:
        if not cfg.download:
            raise EngineUnavailable("not in the local cache (set [sentiment] download = true to fetch it)") from None
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        raise EngineUnavailable("not in the local cache and HF_HUB_OFFLINE is set")
    _hub_reachable(cfg.model)
    return load_transformer(cfg.model, **options)


def _hub_reachable(model: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds, not after the hub client's minute of retries."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    try:
        urllib.request.urlopen(
            urllib.request.Request(f"{endpoint}/api/models/{model}", method="HEAD"), timeout=timeout_s
        )
    except urllib.error.HTTPError as exc:
        raise EngineUnavailable(f"the hub answered {exc.code} for {model}") from None
    except OSError as exc:
        raise EngineUnavailable(f"no network ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:160]
