"""Posts stored "unscored: language" count in volume but not in any negative
share: 10 English negatives and 30 posts no engine here can read are a
minute 100 % negative, not 25 %."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.assess import assess_series
from crisis.baseline import baseline
from crisis.presets import PRESETS
from crisis.series import PUBLIC, SeriesCache, load_series
from crisis.slow import slow_change
from crisis.spike import evidence
from model.score import UNSCORED_LANGUAGE, Score
from store import queries
from store.connection import write
from store.ingest import store_messages
from tests.conftest import message

T = 1_800_000_000  # a minute start
MEDIUM = PRESETS["medium"]


def store_minute(db, at: int, english_negative: int, other_language: int, english_neutral: int = 0) -> None:
    msgs, scores = [], []
    for i in range(english_negative):
        msgs.append(message(f"n{at}-{i}", "this is broken", at=at + 1 + i % 50))
        scores.append(Score("negative", -0.8))
    for i in range(english_neutral):
        msgs.append(message(f"e{at}-{i}", "ok then", at=at + 1 + i % 50))
        scores.append(Score("neutral", 0.0))
    for i in range(other_language):
        msgs.append(message(f"l{at}-{i}", "das ist kaputt", at=at + 1 + i % 50))
        scores.append(Score(UNSCORED_LANGUAGE, 0.0))
    with write(db) as conn:
        store_messages(conn, msgs, scores, ("test", "1"), at + 59)


def test_a_window_s_share_is_of_the_messages_an_engine_read():
    base = baseline(np.full(120, 40), np.full(120, 2), slice(120, 120), np.ones(120, bool), scored=np.full(120, 10))
    assert base.negative_share == pytest.approx((240 + 5) / (1200 + 20))  # 20 %, not 5 %
    ev = evidence(1, 40, 10, base, scored=10)
    assert ev.share == 1.0 and ev.observed == 40 and ev.scored == 10
    assert evidence(1, 40, 10, base).share == 0.25  # without a share base: every message (old callers)


def test_the_store_s_series_and_shares_leave_unscored_language_out(db):
    store_minute(db, T, english_negative=10, other_language=30)
    series = load_series(db, T + 60, 5)
    assert series.total[PUBLIC][-1] == 40 and series.negative[PUBLIC][-1] == 10
    assert series.share_base(PUBLIC)[-1] == 10 and series.share_base("x")[-1] == 10
    assert queries.share_of(db, T, T + 60) == (10, 10)  # 100 % negative (the brief, the wall's staff figures)
    assert queries.share_of(db, T, T + 60, label=UNSCORED_LANGUAGE) == (30, 40)
    hours = queries.volume_by_hour(db, T - 3600, T + 3600)
    assert hours[["messages", "negative", "scored"]].sum().tolist() == [40, 10, 10]
    # kept between polls too
    cache = SeriesCache()
    cache.load(db, T + 60, 180)
    store_minute(db, T + 60, english_negative=1, other_language=5)
    rolled = cache.load(db, T + 120, 180)
    assert rolled.total[PUBLIC][-2:].tolist() == [40, 6] and rolled.share_base(PUBLIC)[-2:].tolist() == [10, 1]


def test_a_negative_turn_hidden_among_other_languages_is_still_a_turn():
    """Normal: 8 English posts a minute (1 negative) and 12 others. Then the English
    posts turn negative while the other-language posts double: the share of what
    the engine reads is 100 %, so the turn shows; counted over every message it is
    diluted below the rise a turn needs."""
    minutes = 240
    total, negative, scored = np.full(minutes, 20), np.full(minutes, 1), np.full(minutes, 8)
    total[-5:], negative[-5:], scored[-5:] = 32, 8, 8
    usable = np.ones(minutes, bool)
    found = assess_series(PUBLIC, total, negative, usable, MEDIUM, scored=scored)
    w5 = found.windows[1]
    assert w5.share == 1.0 and w5.expected_share < 0.2 and found.entry >= 1
    diluted = assess_series(PUBLIC, total, negative, usable, MEDIUM)
    assert diluted.windows[1].share == 0.25 and diluted.windows[1].share < w5.share


def test_slow_change_judges_the_share_of_what_the_engine_read():
    """Over four hours the other-language posts grow tenfold while the English share
    stays 10 %: not a slow turn (counted over all messages the share even falls)."""
    minutes = 1000
    scored = np.full(minutes, 10)
    negative = np.full(minutes, 1)
    other = np.r_[np.full(minutes - 240, 5), np.linspace(5, 50, 240).round().astype(int)]
    slow = slow_change(scored + other, negative, np.ones(minutes, bool), scored)
    assert slow.recent_share == pytest.approx(0.1) and slow.level(MEDIUM) == 0
    negative2 = np.r_[np.full(minutes - 240, 1), np.full(240, 4)]
    turned = slow_change(scored + other, negative2, np.ones(minutes, bool), scored)
    assert turned.recent_share == pytest.approx(0.4) and turned.level(MEDIUM) == 1
