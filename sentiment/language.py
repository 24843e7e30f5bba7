"""Posts in languages the engine does not cover: detected offline, routed to a
multilingual model when one is on this machine, otherwise left unscored.

Detection: py3langid (langid.py's naive Bayes model ships inside the wheel;
nothing is downloaded; ~0.3 ms a post on one core, where
lingua-language-detector took 2-7 ms), over the engine's languages plus
DETECTED. A post counts as another language only when the detector is
confident (>= MIN_CONFIDENCE) and the post has at least MIN_WORDS words once
links and @handles are removed: "lol" or "@user http" stay with the main
engine.

A post in an uncovered language with no multilingual model gets the label
UNSCORED_LANGUAGE ("unscored: language"): counted in volume, left out of
the negative share, shown as such on the wall and the Sentiment page.
"""

from __future__ import annotations

import logging
import re
import threading
from importlib.metadata import version as package_version
from typing import Sequence

from model.score import UNSCORED_LANGUAGE, Score
from sentiment.engine import Engine

log = logging.getLogger("crisisdesk.sentiment")

# ISO 639-1 codes the detector chooses among (fewer: fewer confusions on short posts).
DETECTED = ("en", "es", "de", "fr", "it", "pt", "nl", "pl", "sv", "tr", "id", "da")
MIN_CONFIDENCE = 0.9
MIN_WORDS = 3
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@])@\w+(?:@[\w.-]+)?|#")

_detectors: dict[tuple[str, ...], object] = {}
_lock = threading.Lock()


class LanguageDetector:
    def __init__(self, languages: Sequence[str]) -> None:
        self.codes = tuple(sorted({c.lower() for c in (*DETECTED, *languages)}))

    def _identifier(self):
        with _lock:
            if self.codes not in _detectors:
                from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
                unknown = [c for c in self.codes if c not in ident.nb_classes]
                if unknown:
                    raise ValueError(f"unknown language code(s) {unknown}; use ISO 639-1 codes such as 'en', 'de'")
                ident.set_languages(list(self.codes))
                _detectors[self.codes] = ident
            return _detectors[self.codes]

    def detect(self, texts: Sequence[str]) -> list[str | None]:
        """ISO 639-1 code per text, None where the text is too short or the detector unsure."""
        ident = None
        out: list[str | None] = []
        for text in texts:
            cleaned = _NOISE.sub(" ", text)
            if len(cleaned.split()) < MIN_WORDS:
                out.append(None)
                continue
            ident = ident or self._identifier()
            lang, confidence = ident.classify(cleaned)
            out.append(lang if confidence >= MIN_CONFIDENCE else None)
        return out


class LanguageRoutedEngine:
    """The main engine for its languages (and for unsure detections), the
    multilingual engine (if any) for the others, else UNSCORED_LANGUAGE."""

    def __init__(
        self,
        engine: Engine,
        languages: Sequence[str],
        multilingual: Engine | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.engine = engine
        self.languages = {c.lower() for c in languages}
        self.multilingual = multilingual
        self.detector = detector or LanguageDetector(languages)
        self.name = engine.name
        self.version = engine.version

    def score(self, texts: Sequence[str]) -> list[Score]:
        langs = self.detector.detect(texts)
        main = [i for i, lang in enumerate(langs) if lang is None or lang in self.languages]
        other = [i for i, lang in enumerate(langs) if i not in set(main)]
        out: list[Score | None] = [None] * len(texts)
        for i, s in zip(main, self.engine.score([texts[i] for i in main]) if main else []):
            out[i] = s
        if other and self.multilingual is not None:
            decided = (self.multilingual.name, self.multilingual.version)
            for i, s in zip(other, self.multilingual.score([texts[i] for i in other])):
                out[i] = Score(s.label, s.score, s.engine or decided)
        elif other:
            detector_id = ("language", f"py3langid-{package_version('py3langid')}")
            for i in other:
                out[i] = Score(UNSCORED_LANGUAGE, 0.0, detector_id)
        return out  # type: ignore[return-value]
