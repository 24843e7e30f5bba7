"""A wall display with every banner showing: the bundled drill played into a
store, judged by the detector (which proposes holding the scenario's
scheduled posts: the hold-proposal banner), publishing paused and a key
account mentioned.
Used by the wall's browser test and by docs/screenshots.py."""

from __future__ import annotations

import time

from access.roles import Actor
from crisis.detector import Detector
from crisis.presets import PRESETS
from incidents.key_accounts import add_account
from monitors.replay import ReplayMonitor
from publishing import pause, proposals
from sentiment.lexicon import VaderEngine
from worker.runner import Runner
from worker.service import open_store, restart_drill

LEAD = Actor("Dana (crisis lead)", "lead")


def stage(settings, minutes_in: float = 25, *, banners: bool = True, engine=None) -> None:
    """Fill the drill store `minutes_in` minutes into the scenario and judge it
    once; with `banners`, also make sure a hold proposal waits (the detector's,
    else one a lead's declaration makes), pause publishing and add a key
    account that the scenario mentions (so every banner shows). `engine`
    scores the backlog (default: VADER, quick for tests; the README's
    screenshots pass the configured engine, so stories and shares are the
    product's own)."""
    db = open_store(settings)
    restart_drill(db, settings, at_s=minutes_in * 60)
    runner = Runner(
        db,
        [ReplayMonitor(settings.scenario_path)],
        engine or VaderEngine(),
        detector=Detector(db, PRESETS["medium"]),
    )
    runner.run_pending()
    # Judged minute by minute over the scenario so far, as a runner that had been on would have (judged
    # once, the baseline would take in the crisis minutes that a raised level keeps out of it).
    now = time.time()
    for minute in range(int(now - (minutes_in + 10) * 60), int(now) - 60, 60):
        runner.detector.evaluate(minute)
    runner.detect_and_notify()
    if banners:
        now = time.time()
        if proposals.pending(db) is None:
            runner.detector.declare(LEAD, "Camera clip leak confirmed", now)
        if proposals.pending(db) is None:
            raise RuntimeError(f"no hold proposal {minutes_in} min into the scenario: no scheduled post is due")
        pause.pause(db, LEAD, "Camera clip leak: nothing goes out until the statement is approved", now)
        add_account(db, "Metro Tech", ["@metrotech"], ["metrotech.example"], ["Metro Tech"], "Sam", "", LEAD, now)
    db.dispose()
