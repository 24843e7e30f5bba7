"""When would the detector have fired? Replays scenarios through it.

    python -m bench.detection [SCENARIO.jsonl ...] [--seeds 1 2] [--shapes ...] [--presets medium]
                              [--poll-interval S] [--engine minilm-ft|minilm-ft-all|minilm|vader|label]

Default: the bundled drill (scenarios/*.jsonl) and the scenario library
(scenarios/library.py), generated from `--seeds` into data/scenarios/.
Each scenario is played into a temporary store on a simulated clock: the
past older than 6 hours before the drill's start is stored at once (as a
drill backfills it), then every poll interval the messages that arrived
are stored with their scores and the detector runs, as in the product.
--engine: minilm-ft (default) is the product's default engine as it is
configured by default: the fine-tuned MiniLM for English, other languages
stored "unscored: language" (they count in volume, not in negative shares);
minilm-ft-all scores every post with it; minilm is the MiniLM head engine.
Scores are cached per engine and text under artifacts/score-cache/, so the
slow default engine scores each text once. For each scenario and preset:

    scenario= kind=crisis|none preset= onset_s= time_to_watch_s= time_to_crisis_s= false_watch= false_crisis=
    time_to_alert_s= false_alarms= poll_interval_s= ... verdict=pass|fail

time_to_watch_s / time_to_crisis_s: from the onset to the first raise to
watch (or higher) / to crisis; time_to_alert_s is the same as
time_to_watch_s (kept for older reports); false_watch / false_crisis:
raises before the onset (every raise, when the scenario is no crisis);
false_alarms: raises before the onset. Shape-specific figures follow:
internal_watch_s (from the staff turn), doubled_s (when the negative share
first reached twice its pre-onset level), second_wave_s, surge_notes. Then
one summary line per preset.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from crisis.detector import Detector
from crisis.presets import PRESETS
from model.score import Score
from monitors.replay import load_scenario
from settings.registry import internal_sources
from store.connection import connect, write
from store.ingest import store_messages
from store.migrate import upgrade
from store.schema import alerts

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_800_000_000  # a minute boundary; the drill starts here
LIVE_FROM_S = -6 * 3600  # older lines are backfilled at once
CACHE = ROOT / "artifacts" / "score-cache"


class LabelEngine:
    """Scores with the label each generated line carries (tests, quick runs): no model."""

    name, version = "label", "1"

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels

    def score(self, texts):
        value = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}
        return [Score(self.labels.get(t, "neutral"), value[self.labels.get(t, "neutral")]) for t in texts]


def cached_scores(engine, texts: list[str]) -> list[Score]:
    """Score each distinct text once per engine version; kept under artifacts/score-cache/."""
    if engine.name == "label":
        return engine.score(texts)
    path = CACHE / f"{engine.name}-{engine.version}.json".replace("/", "_")
    cache = json.loads(path.read_text()) if path.exists() else {}
    key = {t: hashlib.sha1(t.encode()).hexdigest() for t in set(texts)}
    missing = sorted(t for t, k in key.items() if k not in cache)
    if missing:
        for t, s in zip(missing, engine.score(missing)):
            cache[key[t]] = [s.label, s.score]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cache))
    return [Score(*cache[key[t]]) for t in texts]


def scored_messages(path: Path, engine):
    from model.message import Message

    scenario = load_scenario(path)
    if engine == "label":
        engine = LabelEngine({m.text: m.label for _, m in scenario.messages if m.label})
    msgs = [
        Message(
            item.source,
            f"{scenario.header.name}:{n}",
            datetime.fromtimestamp(T0 + item.offset, tz=timezone.utc),
            item.text,
            item.channel,
            item.author,
            item.reach,
            lang=item.lang,
        )
        for n, item in scenario.messages
    ]
    scores = cached_scores(engine, [m.text for m in msgs])
    order = sorted(range(len(msgs)), key=lambda k: msgs[k].created_at)
    return scenario, [msgs[k] for k in order], [scores[k] for k in order], engine


@dataclass
class Replay:
    raises: list = field(default_factory=list)  # public LevelChange, upward
    internal_raises: list = field(default_factory=list)  # times of internal watch raises
    surge_polls: int = 0  # polls that showed a surge note
    hold_proposals: int = 0  # raises that proposed holding posts
    explanations: list = field(default_factory=list)  # (t, explanation) at each raise
    poll_ms: list = field(default_factory=list)


def replay(
    msgs,
    scores,
    engine,
    preset,
    poll_s: float,
    tmp: Path,
    *,
    start_s: float | None = None,
    until_s: float | None = None,
) -> Replay:
    """Store and detect on a simulated clock; start_s/until_s: offsets that bound the judged stretch."""
    import time

    db = connect(f"sqlite:///{tmp / f'bench-{preset.name}.sqlite3'}")
    upgrade(db)
    detector = Detector(db, preset)
    out = Replay()
    first = msgs[0].created_at.timestamp()
    t = max(first + poll_s, T0 + (LIVE_FROM_S if start_s is None else start_s))
    t -= (t - T0) % 60
    end = msgs[-1].created_at.timestamp() + poll_s if until_s is None else T0 + until_s
    version = (engine.name, engine.version)
    i = 0
    while t <= end:
        j = i
        while j < len(msgs) and msgs[j].created_at.timestamp() <= t:
            j += 1
        for lo in range(i, j, 20_000):
            with write(db) as conn:
                store_messages(conn, msgs[lo : min(j, lo + 20_000)], scores[lo : min(j, lo + 20_000)], version, t)
        i = j
        began = time.perf_counter()
        change = detector.evaluate(t)
        out.poll_ms.append((time.perf_counter() - began) * 1000)
        with db.connect() as conn:
            explanation = json.loads(conn.execute(sa.text("select explanation from crisis_state")).scalar() or "{}")
        if explanation.get("surge") and explanation.get("level") == "normal":
            out.surge_polls += 1
        if change and change.new > change.old:
            out.raises.append(change)
            out.explanations.append((t, explanation))
            out.hold_proposals += bool(explanation.get("hold_proposal"))
        t += poll_s
    with db.connect() as conn:
        out.internal_raises = [
            r.at
            for r in conn.execute(
                sa.select(alerts.c.at).where(alerts.c.kind == "internal", alerts.c.new_level > alerts.c.old_level)
            )
        ]
    db.dispose()
    return out


def doubled_at(msgs, scores, onset: float) -> float | None:
    """Offset when the outside negative share (last 30 min) first reached twice its level in the 6 h before onset."""
    ext = [
        (m.created_at.timestamp() - T0, s.label == "negative")
        for m, s in zip(msgs, scores)
        if m.source not in internal_sources()
    ]
    before = [neg for t, neg in ext if onset - 6 * 3600 <= t < onset]
    if not before:
        return None
    p0 = max(sum(before) / len(before), 0.02)
    t = onset
    last = max(t for t, _ in ext)
    while t <= last:
        window = [neg for u, neg in ext if t - 1800 <= u < t]
        if len(window) >= 10 and sum(window) / len(window) >= 2 * p0:
            return t
        t += 60
    return None


def judge(scenario, msgs, scores, result: Replay, poll_s: float) -> dict:
    header, markers = scenario.header, scenario.markers
    onset = header.onset if header.onset is not None else markers.get("onset")
    crisis = header.crisis if header.crisis is not None else onset is not None
    ups = [(c.at - T0, c.new) for c in result.raises]
    if crisis and onset is not None:
        before = [u for u in ups if u[0] < onset]
        after = [u for u in ups if u[0] >= onset]
        watch = next((t - onset for t, _ in after), None)
        crisis_s = next((t - onset for t, lvl in after if lvl == 2), None)
    else:
        before, watch, crisis_s = ups, None, None
    row = {
        "kind": "crisis" if crisis else "none",
        "onset_s": "none" if onset is None else f"{onset:.0f}",
        "time_to_watch_s": "none" if watch is None else f"{watch:.0f}",
        "time_to_crisis_s": "none" if crisis_s is None else f"{crisis_s:.0f}",
        "false_watch": len(before),
        "false_crisis": sum(1 for _, lvl in before if lvl == 2),
        "time_to_alert_s": "none" if watch is None else f"{watch:.0f}",
        "false_alarms": len(before),
    }
    shape = header.shape or ("abrupt" if crisis else "none")
    ok = not before
    if shape in ("abrupt", "night", "mixed_language", "second_wave"):
        ok = ok and watch is not None and watch <= 3 * poll_s
        if shape != "second_wave":
            ok = ok and crisis_s is not None and crisis_s <= 600
    if shape == "slow_burn":
        doubled = doubled_at(msgs, scores, onset)
        row["doubled_s"] = "none" if doubled is None else f"{doubled - onset:.0f}"
        first = None if watch is None else onset + watch
        ok = ok and first is not None and (doubled is None or first <= doubled + 1800)
    if "staff_turn" in markers:
        turn = markers["staff_turn"]
        internal = next((a - T0 - turn for a in result.internal_raises if a - T0 >= turn), None)
        row["internal_watch_s"] = "none" if internal is None else f"{internal:.0f}"
        ok = ok and internal is not None and internal <= 600 and watch is not None
    if "second_wave" in markers:
        wave = markers["second_wave"]
        again = next((t - wave for t, _ in ups if t >= wave), None)
        row["second_wave_s"] = "none" if again is None else f"{again:.0f}"
    if not crisis:
        row["surge_notes"] = result.surge_polls
        ok = ok and not ups
    row["hold_proposals_before_onset"] = sum(
        1 for (t, _), (_, e) in zip(ups, result.explanations) if (onset is None or t < onset) and e.get("hold_proposal")
    )
    row["verdict"] = "pass" if ok else "fail"
    return row


def library_paths(seeds: list[int], shapes: list[str]) -> list[Path]:
    from scenarios.library import generate
    from scenarios.library import write as write_lines

    out = []
    for shape in shapes:
        for seed in seeds:
            lines = generate(shape, seed)
            out.append(write_lines(lines, ROOT / "data" / "scenarios" / f"{lines[0]['name']}.jsonl"))
    return out


def make_engine(name: str):
    if name in ("minilm-ft", "minilm-ft-all", "minilm-ft-fast"):
        # The product's default engine (torch: the same labels on every machine). As configured by
        # default ([sentiment] languages = ["en"], no multilingual model here), posts in other languages
        # are stored "unscored: language"; minilm-ft-all scores every post with it instead.
        from sentiment.finetuned import FineTunedEngine
        from sentiment.finetuned_model import FAST_DIR, FINETUNED_DIR
        from sentiment.language import LanguageRoutedEngine

        fast = name == "minilm-ft-fast"
        engine = FineTunedEngine(
            folder=FAST_DIR if fast else FINETUNED_DIR,
            name=name if fast else "minilm-ft",
            cache_dir=ROOT / "artifacts",
            runtime="torch",
        )
        if name == "minilm-ft-all":
            return engine
        routed = LanguageRoutedEngine(engine, ["en"])
        routed.version = f"{engine.version}+lang-en"
        return routed
    if name == "minilm":
        from sentiment.minilm import MiniLMHeadEngine

        return MiniLMHeadEngine()
    if name == "vader":
        from sentiment.lexicon import VaderEngine

        return VaderEngine()
    return "label"


def main(argv: list[str] | None = None) -> None:
    from scenarios.library import SHAPES

    parser = argparse.ArgumentParser(prog="python -m bench.detection", description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--poll-interval", type=float, default=60.0)
    parser.add_argument(
        "--engine",
        choices=["minilm-ft", "minilm-ft-all", "minilm-ft-fast", "minilm", "vader", "label"],
        default="minilm-ft",
    )
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[101, 202])
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES))
    parser.add_argument("--no-bundled", action="store_true", help="leave out scenarios/*.jsonl")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.ERROR)
    engine = make_engine(args.engine)
    paths = list(args.scenarios)
    if not paths:
        paths = [] if args.no_bundled else sorted((ROOT / "scenarios").glob("*.jsonl"))
        paths += library_paths(args.seeds, args.shapes)
    totals: dict[str, dict] = {
        name: {"scenarios": 0, "passed": 0, "false_watch": 0, "false_crisis": 0, "ms": []} for name in args.presets
    }
    for path in paths:
        scenario, msgs, scores, used = scored_messages(path, engine)
        for name in args.presets:
            with tempfile.TemporaryDirectory() as tmp:
                result = replay(msgs, scores, used, PRESETS[name], args.poll_interval, Path(tmp))
            row = judge(scenario, msgs, scores, result, args.poll_interval)
            t = totals[name]
            t["scenarios"] += 1
            t["passed"] += row["verdict"] == "pass"
            t["false_watch"] += row["false_watch"]
            t["false_crisis"] += row["false_crisis"]
            t["ms"] += result.poll_ms
            core = (
                "time_to_watch_s",
                "time_to_crisis_s",
                "false_watch",
                "false_crisis",
                "time_to_alert_s",
                "false_alarms",
            )
            extra = " ".join(f"{k}={v}" for k, v in row.items() if k not in (*core, "kind", "onset_s"))
            print(
                f"scenario={scenario.header.name} kind={row['kind']} preset={name} onset_s={row['onset_s']} "
                + " ".join(f"{k}={row[k]}" for k in core)
                + f" poll_interval_s={args.poll_interval:g} engine={used.name} {extra}",
                flush=True,
            )
    for name, t in totals.items():
        ms = sorted(t["ms"]) or [0.0]
        print(
            f"summary preset={name} engine={getattr(engine, 'name', engine)} scenarios={t['scenarios']} "
            f"passed={t['passed']} false_watch={t['false_watch']} false_crisis={t['false_crisis']} "
            f"evaluate_ms_median={ms[len(ms) // 2]:.1f} evaluate_ms_p95={ms[int(len(ms) * 0.95)]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
