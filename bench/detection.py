"""When would the detector have fired? Replays scenarios through it.

    python -m bench.detection [SCENARIO.jsonl ...] [--poll-interval S] [--engine minilm|vader]

Default: the bundled scenarios (scenarios/*.jsonl). Each scenario is played
into a temporary store on a simulated clock: every poll interval the
messages that arrived are scored and stored and the detector runs, exactly
as in the product. The scenario's `onset` marker says when the crisis
begins (scenarios/README.md). For each scenario and preset one line:

    scenario=NAME preset=P onset_s=X time_to_alert_s=X poll_interval_s=X false_alarms=N

time_to_alert_s: from the onset to the first raise of the level (watch or
crisis); false_alarms: raises before the onset.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

from crisis.detector import Detector
from crisis.presets import PRESETS
from monitors.replay import load_scenario
from store.connection import connect, write
from store.ingest import store_messages
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_800_000_000  # a minute boundary; the drill starts here


def scored_messages(path: Path, engine):
    from datetime import datetime, timezone

    from monitors.base import Message

    scenario = load_scenario(path)
    msgs = [
        Message(
            item.source,
            f"{scenario.header.name}:{n}",
            datetime.fromtimestamp(T0 + item.offset, tz=timezone.utc),
            item.text,
            item.channel,
            item.author,
            item.reach,
        )
        for n, item in scenario.messages
    ]
    scores = engine.score([m.text for m in msgs])
    return scenario, msgs, scores


def replay(msgs, scores, engine, preset, poll_s: float, tmp: Path):
    db = connect(f"sqlite:///{tmp / f'bench-{preset.name}.sqlite3'}")
    upgrade(db)
    detector = Detector(db, preset)
    changes, i = [], 0
    t = msgs[0].created_at.timestamp() + poll_s
    end = msgs[-1].created_at.timestamp() + poll_s
    while t <= end:
        j = i
        while j < len(msgs) and msgs[j].created_at.timestamp() <= t:
            j += 1
        if j > i:
            with write(db) as conn:
                store_messages(conn, msgs[i:j], scores[i:j], (engine.name, engine.version), t)
            i = j
        change = detector.evaluate(t)
        if change and change.new > change.old:
            changes.append(change)
        t += poll_s
    db.dispose()
    return changes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.detection", description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--poll-interval", type=float, default=60.0)
    parser.add_argument("--engine", choices=["minilm", "vader"], default="minilm")
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.ERROR)
    if args.engine == "minilm":
        from sentiment.minilm import MiniLMHeadEngine

        engine = MiniLMHeadEngine()
    else:
        from sentiment.lexicon import VaderEngine

        engine = VaderEngine()
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.jsonl"))
    for path in paths:
        scenario, msgs, scores = scored_messages(path, engine)
        order = sorted(range(len(msgs)), key=lambda k: msgs[k].created_at)
        msgs, scores = [msgs[k] for k in order], [scores[k] for k in order]
        onset = scenario.markers.get("onset")
        for name in args.presets:
            with tempfile.TemporaryDirectory() as tmp:
                raises = replay(msgs, scores, engine, PRESETS[name], args.poll_interval, Path(tmp))
            if onset is None:
                after, false_alarms = None, len(raises)
            else:
                after = next((c.at - (T0 + onset) for c in raises if c.at >= T0 + onset), None)
                false_alarms = sum(1 for c in raises if c.at < T0 + onset)
            print(
                f"scenario={scenario.header.name} preset={name} engine={engine.name} "
                f"onset_s={'none' if onset is None else f'{onset:g}'} "
                f"time_to_alert_s={'none' if after is None else f'{after:.0f}'} "
                f"poll_interval_s={args.poll_interval:g} false_alarms={false_alarms}",
                flush=True,
            )


if __name__ == "__main__":
    main()
