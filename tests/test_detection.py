"""Detection on synthetic series: no false alarms on calm or daily cycles,
fast alerts on real steps, no flapping, no repeats inside the cooldown."""

import numpy as np
import pytest

from crisis.assess import simulate
from crisis.levels import LevelState, declare, stand_down, step
from crisis.presets import PRESETS

MEDIUM = PRESETS["medium"]
DAY = 1440


def poisson_series(rates, seed=0, negative_share=0.15):
    rng = np.random.default_rng(seed)
    total = rng.poisson(np.asarray(rates, dtype=float))
    negative = rng.binomial(total, negative_share)
    return total, negative


def raises(changes):
    return [c for c in changes if c.new > c.old]


@pytest.mark.parametrize("rate", [0.5, 3, 40])
@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_flat_series_never_alerts(rate, preset):
    total, negative = poisson_series(np.full(8 * 60, rate), seed=int(rate * 10))
    assert raises(simulate(total, negative, PRESETS[preset], start=60)) == []


def test_a_daily_cycle_does_not_alert_at_its_daily_peak():
    minutes = np.arange(9 * DAY)
    rates = 2 + 18 * np.clip(np.sin((minutes % DAY) / DAY * 2 * np.pi - np.pi / 2), 0, None) ** 2  # 2 .. 20 / min
    total, negative = poisson_series(rates, seed=1)
    # Judge the last day only, with eight days of history behind it.
    assert raises(simulate(total, negative, MEDIUM, start=8 * DAY)) == []


def test_a_five_fold_step_alerts_within_the_persistence_window():
    # Volume x5 with the negative share up (0.15 -> 0.5); with the share flat it is a surge note (below).
    rates = np.concatenate([np.full(240, 4.0), np.full(60, 20.0)])
    total, _ = poisson_series(rates, seed=2)
    negative = np.random.default_rng(2).binomial(total, np.concatenate([np.full(240, 0.15), np.full(60, 0.5)]))
    up = raises(simulate(total, negative, MEDIUM, start=60))
    assert up, "a 5x step must raise the level"
    assert up[0].new >= 1
    minutes_to_alert = up[0].at / 60 - 240
    assert 0 < minutes_to_alert <= MEDIUM.persistence + 1


def test_a_step_with_a_negative_turn_is_a_crisis():
    rates = np.concatenate([np.full(240, 4.0), np.full(60, 20.0)])
    total, _ = poisson_series(rates, seed=3)
    rng = np.random.default_rng(3)
    share = np.concatenate([np.full(240, 0.1), np.full(60, 0.7)])
    negative = rng.binomial(total, share)
    changes = raises(simulate(total, negative, MEDIUM, start=60))
    assert max(c.new for c in changes) == 2


def test_low_counts_do_not_alert_on_a_jump_from_zero_to_three():
    rng = np.random.default_rng(4)
    # Five silent hours, then half an hour of 0-3 messages a minute, mostly 3.
    total = np.concatenate([np.zeros(300, dtype=int), rng.choice([0, 1, 2, 3, 3, 3], size=30)])
    negative = rng.binomial(total, 0.3)
    for preset in PRESETS.values():
        assert raises(simulate(total, negative, preset, start=60)) == []


def test_hysteresis_prevents_flapping_around_the_threshold():
    # A raised level and evidence that hovers: just under the entry
    # thresholds, just over the relaxed exit ones, for an hour.
    state = LevelState(level=1, since=0.0, last_evaluated=0.0)
    changes = []
    for minute in range(1, 61):
        entry = 1 if minute % 2 else 0  # noisy evidence around the threshold
        state, change = step(state, entry, stay=1, strength=1.0, preset=MEDIUM, now=minute * 60.0)
        changes += [change] if change else []
    assert changes == []
    assert state.level == 1


def test_a_level_is_lowered_after_the_calm_period():
    state = LevelState(level=2, since=0.0, last_evaluated=0.0)
    lowered = None
    for minute in range(1, 40):
        state, change = step(state, 0, 0, 0.0, MEDIUM, minute * 60.0)
        if change:
            lowered = lowered or (minute, change)
    assert lowered[0] == MEDIUM.calm_minutes
    assert (lowered[1].old, lowered[1].new, lowered[1].reason) == (2, 0, "calmed")


def test_cooldown_suppresses_repeat_alerts():
    state, now = LevelState(last_evaluated=0.0), 0.0
    sent = []
    for wave in range(3):  # three waves 25 minutes apart: up 5 minutes, calm 20
        for minute in range(25):
            now += 60
            level = 1 if minute < 5 else 0
            state, change = step(state, level, level, 1.0, MEDIUM, now)
            if change and change.new > change.old:
                sent.append(change.suppressed)
    assert sent == [False, True, True]  # only the first wave pages anyone within the hour


def test_a_declared_crisis_is_never_lowered_by_detection_until_stood_down():
    state, change = declare(LevelState(), 0.0)
    assert (change.new, change.reason) == (2, "declared")
    for minute in range(1, 120):
        state, change = step(state, 0, 0, 0.0, MEDIUM, minute * 60.0)
        assert change is None
    state, change = stand_down(state, 7200.0)
    assert (state.level, change.reason) == (0, "stood down")


# --- The baseline does not learn the crisis; slow change; surges; impact; staff ------------------------------


def _step_crisis(seed=5, calm=360, crisis=60, rate=4.0, spike_rate=20.0, share=0.15, crisis_share=0.7):
    rng = np.random.default_rng(seed)
    rates = np.concatenate([np.full(calm, rate), np.full(crisis, spike_rate)])
    total = rng.poisson(rates)
    negative = rng.binomial(total, np.concatenate([np.full(calm, share), np.full(crisis, crisis_share)]))
    return total, negative


def test_the_baseline_is_frozen_at_the_level_start_and_does_not_learn_the_crisis():
    from crisis.assess import assess_series, judge, usable_mask
    from crisis.slow import slow_change

    total, negative = _step_crisis()
    state = LevelState()
    has_data = np.ones(len(total), dtype=bool)
    shares = []
    for end in range(300, len(total) + 1):
        usable = usable_mask(has_data[:end], 0, state.excluded(end * 60.0))
        found = assess_series("total", total[:end], negative[:end], usable, MEDIUM)
        j = judge([found], slow_change(total[:end], negative[:end], usable), [], MEDIUM, end * 60.0)
        state, _ = step(state, j.entry, j.stay, j.strength, MEDIUM, end * 60.0)
        shares.append(found.base.negative_share)
    assert state.level == 2
    # An hour into the crisis, the normal is still the calm share, not the crisis one.
    assert max(shares) < 0.25, f"baseline learnt the crisis: {max(shares):.0%}"
    assert found.base.rate < 6


def test_after_the_crisis_its_minutes_stay_out_of_the_baseline():
    state = LevelState(level=2, since=600.0, rising_since=540.0, last_evaluated=600.0)
    for minute in range(11, 11 + MEDIUM.calm_minutes + 1):
        state, change = step(state, 0, 0, 0.0, MEDIUM, minute * 60.0)
    assert state.level == 0 and state.raised, "the raised period is remembered"
    ((start, end),) = state.raised
    assert start <= 540.0 - 15 * 60 and end >= 660.0
    assert state.excluded(end + 60) == [(start, end)]


def test_a_slow_burn_is_raised_by_the_cusum_before_the_windows_see_it():
    rng = np.random.default_rng(7)
    calm, ramp = 480, 180
    total = rng.poisson(np.full(calm + ramp, 4.0))
    share = np.concatenate([np.full(calm, 0.15), np.linspace(0.15, 0.45, ramp)])
    negative = rng.binomial(total, share)
    doubled = calm + int(np.argmax(share[calm:] >= 0.30))
    with_cusum = raises(simulate(total, negative, MEDIUM, start=calm - 60))
    windows_only = raises(simulate(total, negative, MEDIUM, start=calm - 60, slow=False))
    assert with_cusum, "a slow burn must be raised"
    assert calm * 60 <= with_cusum[0].at <= (doubled + 30) * 60
    assert not windows_only or windows_only[0].at > with_cusum[0].at


def test_a_surge_with_the_negative_share_not_up_raises_nothing():
    rng = np.random.default_rng(8)
    total = rng.poisson(np.concatenate([np.full(360, 3.0), np.full(90, 30.0)]))
    negative = rng.binomial(total, 0.15)
    for preset in PRESETS.values():
        assert raises(simulate(total, negative, preset, start=300)) == []


def test_calm_hours_with_a_daily_rhythm_raise_nothing_over_two_days_of_minutes():
    minutes = np.arange(3 * DAY)
    rates = 1 + 3 * (1 + np.cos((minutes % DAY - 900) / DAY * 2 * np.pi)) / 2
    total, negative = poisson_series(rates, seed=11, negative_share=0.2)
    assert raises(simulate(total, negative, MEDIUM, start=DAY)) == []


def test_the_time_of_day_baseline_ignores_one_odd_day_and_keeps_a_weekly_peak():
    from crisis.baseline import baseline

    rng = np.random.default_rng(12)
    minutes = 8 * DAY
    rates = np.full(minutes, 2.0)
    end = 7 * DAY + 600  # judge 10:00 on day 8
    rates[3 * DAY + 570 : 3 * DAY + 630] = 30.0  # one odd, very busy morning
    total = rng.poisson(rates)
    negative = rng.binomial(total, 0.2)
    usable = np.ones(minutes, dtype=bool)
    base = baseline(total[:end], negative[:end], slice(end - 15, end), usable[:end])
    assert base.method.startswith("time of day") and base.rate < 4, base
    rates[600 - 30 : 600 + 60] = 30.0  # the same hour a week earlier: a weekly show
    total = rng.poisson(rates)
    base = baseline(total[:end], negative[:end], slice(end - 15, end), usable[:end])
    assert "day of week" in base.method and base.rate > 20, base


def test_a_staff_turn_s_strength_is_measured_against_the_staff_thresholds():
    """Staff series are judged at INTERNAL_SCALE of the thresholds; evidence 1.5x past
    those is overwhelming (raised without waiting for a second poll), as it is for the public series."""
    from crisis.assess import INTERNAL_SCALE, assess_series

    preset = PRESETS["medium"]
    total, negative = np.full(300, 1), np.zeros(300, dtype=int)
    negative[::5] = 1  # staff are 20 % negative
    total[-4:], negative[-4:] = 2, 2  # then every staff message is
    found = assess_series("internal", total, negative, np.ones(300, bool), preset, internal=True)
    score = max(ev.negative_score for ev in found.windows)
    assert preset.negative_score * INTERNAL_SCALE * preset.immediate_ratio <= score < preset.negative_score * 1.5
    assert found.entry == 1 and found.strength >= preset.immediate_ratio


def test_crisis_evidence_overwhelming_for_watch_raises_watch_at_once_and_crisis_on_confirmation():
    """Evidence of a crisis waits a poll for confirmation; but if it is 1.5x past the watch
    thresholds it would have raised watch at once had it been only watch evidence, so watch
    is raised now and crisis on the next poll that confirms it."""
    preset = PRESETS["medium"]
    state, change = step(LevelState(), 2, 2, preset.immediate_ratio * 1.2, preset, 60.0)
    assert change is not None and (change.old, change.new) == (0, 1)
    state, change = step(state, 2, 2, preset.immediate_ratio * 1.2, preset, 120.0)
    assert change is not None and (change.old, change.new) == (1, 2)
    # weaker crisis evidence still waits for confirmation before any raise
    state, change = step(LevelState(), 2, 2, preset.immediate_ratio * 0.9, preset, 60.0)
    assert change is None and state.level == 0
    state, change = step(state, 2, 2, preset.immediate_ratio * 0.9, preset, 120.0)
    assert change is not None and (change.old, change.new) == (0, 2)
