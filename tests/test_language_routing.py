"""Posts in other languages: detected offline, routed to a multilingual model
when there is one, else stored "unscored: language" (in volume, out of the
negative share), and rescored once a multilingual model is here."""

import pytest

from model.score import UNSCORED_LANGUAGE
from sentiment.language import LanguageDetector, LanguageRoutedEngine
from sentiment.lexicon import VaderEngine
from sentiment.rescore import rescore
from store.connection import write
from store.ingest import store_messages
from store.queries import label_totals
from tests.conftest import message
from tests.tiny_model import save_tiny_model

POSTS = {
    "en": "My card was charged twice and there is still no refund, terrible service",
    "es": "Me cobraron dos veces la tarjeta y todavía no hay reembolso, qué servicio tan malo",
    "de": "Meine Karte wurde zweimal belastet und es gibt immer noch keine Erstattung",
    "fr": "Ma carte a été débitée deux fois et toujours pas de remboursement, service nul",
    "it": "Mi hanno addebitato due volte sulla carta e ancora nessun rimborso, pessimo servizio",
    "pt": "Cobraram duas vezes no meu cartão e até agora nada de reembolso, péssimo atendimento",
}
SHORT = ["lol", "@user http://t.co/x", "ok thanks"]


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory):
    from sentiment.transformer import TransformerEngine

    path = save_tiny_model(tmp_path_factory.mktemp("xlm"), {0: "negative", 1: "neutral", 2: "positive"})
    return TransformerEngine(str(path), local_files_only=True)


def test_five_languages_besides_english_are_told_apart():
    codes = LanguageDetector(["en"]).detect(list(POSTS.values()))
    assert codes == list(POSTS)


def test_short_or_unsure_posts_stay_with_the_main_engine():
    assert LanguageDetector(["en"]).detect(SHORT) == [None, None, None]


def test_without_a_multilingual_model_other_languages_are_unscored_language():
    routed = LanguageRoutedEngine(VaderEngine(), ["en"])
    scores = routed.score([*POSTS.values(), *SHORT])
    by_lang = dict(zip([*POSTS, *SHORT], scores))
    assert by_lang["en"].label == "negative" and by_lang["en"].engine is None  # the main engine decided
    for lang in ("es", "de", "fr", "it", "pt"):
        assert by_lang[lang].label == UNSCORED_LANGUAGE and by_lang[lang].score == 0.0
        assert by_lang[lang].engine[0] == "language" and by_lang[lang].engine[1].startswith("py3langid-")
    assert all(s.label != UNSCORED_LANGUAGE for s in scores[len(POSTS) :])
    assert (routed.name, routed.version) == ("vader", VaderEngine().version)


def test_with_a_multilingual_model_other_languages_are_scored_by_it(multilingual):
    routed = LanguageRoutedEngine(VaderEngine(), ["en"], multilingual)
    scores = routed.score(list(POSTS.values()))
    assert scores[0].engine is None
    for s in scores[1:]:
        assert s.label in ("negative", "neutral", "positive")
        assert s.engine == (multilingual.name, multilingual.version)


def test_engine_languages_are_configurable():
    routed = LanguageRoutedEngine(VaderEngine(), ["en", "de"])
    labels = [s.label for s in routed.score([POSTS["de"], POSTS["fr"]])]
    assert labels[0] != UNSCORED_LANGUAGE and labels[1] == UNSCORED_LANGUAGE


def test_stored_unscored_language_counts_in_volume_and_is_rescored_by_a_multilingual_model(db, multilingual):
    routed = LanguageRoutedEngine(VaderEngine(), ["en"])
    batch = [message(lang, text, at=1_800_000_000 + i) for i, (lang, text) in enumerate(POSTS.items())]
    with write(db) as conn:
        store_messages(conn, batch, routed.score([m.text for m in batch]), ("vader", "test"), now=1_800_000_100)
    totals = label_totals(db, 1_800_000_000, 1_800_003_600)
    assert totals[UNSCORED_LANGUAGE] == 5 and totals["negative"] == 1 and sum(totals.values()) == 6

    # A multilingual model arrives: rescore only those, they leave the unscored bucket.
    with_model = LanguageRoutedEngine(VaderEngine(), ["en"], multilingual)
    assert rescore(db, with_model, only_language=True) == 5
    totals = label_totals(db, 1_800_000_000, 1_800_003_600)
    assert UNSCORED_LANGUAGE not in totals and sum(totals.values()) == 6
    import sqlalchemy as sa

    with db.connect() as conn:
        engines = conn.execute(sa.text("SELECT engine FROM messages WHERE external_id <> 'en'")).scalars().all()
    assert set(engines) == {multilingual.name}


def test_rescore_since_only_touches_recent_messages(db):
    batch = [message("old", "awful", at=1_800_000_000), message("new", "awful", at=1_800_090_000)]
    with write(db) as conn:
        store_messages(conn, batch, VaderEngine().score([m.text for m in batch]), ("vader", "test"), now=1_800_090_100)
    assert rescore(db, VaderEngine(), since=1_800_050_000) == 1
