"""The scenario library: seeded generators, one per crisis shape.

    python -m scenarios.library [--out DIR] [--seeds 1 2 3] [--shapes abrupt night ...]

Each (shape, seed) gives a different fictional company, sector, volumes,
timings and baseline, so detection is tested on the shape, not one file.
The header says whether it is a crisis (`crisis`, `onset`) and the shape;
markers name the moments a bench judges against (`onset`, `staff_turn`,
`doubled`, `second_wave`, `spike`). Every message line carries the label
its template was written with (`label`), for tests that score without a
model. Nothing is committed: the bench generates the library from seeds.

Shapes:
  abrupt          calm hours, then a sharp outrage (leak, outage or recall)
  slow_burn       a billing error: the negative share creeps up over 2-3 h
  night           03:00, a near-silent baseline, a few very high-reach posts
  internal_first  staff Slack turns 30 min before any outside post
  recurring       7 days of daily and weekly peaks (newsletter, live show); no crisis
  positive_spike  a viral, liked ad: volume x6-15, negative share not up; no crisis
  mixed_language  sarcastic and Spanish/German/French onset
  second_wave     a crisis that fades after a statement and comes back
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

from scenarios import textgen as tg

SHAPES = (
    "abrupt",
    "slow_burn",
    "night",
    "internal_first",
    "recurring",
    "positive_spike",
    "mixed_language",
    "second_wave",
)
HOUR, DAY = 3600, 86400


class Builder:
    def __init__(self, shape: str, seed: int) -> None:
        self.shape, self.seed = shape, seed
        self.rng = random.Random(f"{shape}:{seed}")
        self.co = tg.company(self.rng)
        self.lines: list[dict] = []
        self.markers: dict[str, float] = {}
        self.crisis_tag = f"{self.co.tag}{self.rng.choice(['Fail', 'Leak', 'Down', 'Gate', 'Scandal'])}"
        self.tags = [self.co.tag, f"#{self.co.sector.products[0].replace(' ', '')}", "#customerservice"]

    # -- primitives -------------------------------------------------------
    def msg(
        self,
        t: float,
        text: str,
        label: str,
        *,
        source: str = "x",
        author: str | None = None,
        reach: int | None = None,
        channel: str | None = None,
        lang: str = "en",
    ) -> None:
        line = {
            "offset": round(t, 1),
            "source": source,
            "channel": channel if channel is not None else f"search: {self.co.name.split()[0].lower()}",
            "author": author or tg.handle(self.rng),
            "reach": tg.reach(self.rng) if reach is None else reach,
            "text": text,
            "label": label,
        }
        if lang != "en":
            line["lang"] = lang
        self.lines.append(line)

    def say(
        self,
        t: float,
        pool,
        *,
        source: str = "x",
        mins: int = 0,
        reach: int | None = None,
        author: str | None = None,
        dress: bool = True,
        **kw,
    ) -> None:
        template, label = self.rng.choice(pool)[:2]
        text = tg.fill(self.rng, template, self.co, mins=mins, crisis_tag=self.crisis_tag, **kw)
        if dress:
            text = tg.dress(self.rng, text, self.co, tags=self.tags)
        self.msg(t, text, label, source=source, reach=reach, author=author)

    def calm(self, start: float, end: float, rate) -> None:
        """Ordinary outside conversation, X and Mastodon, plus a news item every few hours."""
        for t in tg.arrivals(self.rng, start, end, rate):
            if self.rng.random() < 0.15:
                self.say(
                    t,
                    tg.CALM,
                    source="mastodon",
                    author=f"@{self.rng.choice(tg.FIRST)}@social.example",
                    reach=tg.reach(self.rng, 4.5),
                )
            else:
                self.say(t, tg.CALM)
        t = start + self.rng.uniform(0, 3 * HOUR)
        while t < end:
            outlet = self.rng.choice(tg.OUTLETS)
            template, label = self.rng.choice(tg.CALM_NEWS)
            self.msg(
                t,
                tg.fill(self.rng, template, self.co),
                label,
                source="news",
                author=outlet,
                channel=outlet,
                reach=self.rng.randint(40_000, 300_000),
            )
            t += self.rng.uniform(2 * HOUR, 6 * HOUR)

    def staff(self, start: float, end: float, rate, pool=tg.CALM_STAFF) -> None:
        for t in tg.arrivals(self.rng, start, end, rate):
            template, label = self.rng.choice(pool)
            text = tg.fill(self.rng, template, self.co)
            self.msg(
                t,
                text,
                label,
                source="slack",
                author=tg.staff_author(self.rng),
                channel=self.rng.choice(self.co.sector.staff_teams + ("#general",)),
                reach=0,
            )

    def outrage(self, start: float, end: float, rate, story: str, pool=None) -> None:
        """Complaints (and some questions) about the story, from ordinary accounts."""
        pool = pool or tg.STORIES[story]
        for t in tg.arrivals(self.rng, start, end, rate):
            self.say(t, pool, mins=int((t - start) / 60) + 1, source="x" if self.rng.random() < 0.8 else "mastodon")

    def amplifiers(
        self, start: float, story: str, count: int, lo: int = 60_000, hi: int = 600_000, spread_s: float = 900
    ) -> None:
        """A few very high-reach accounts (a researcher, a creator, outlets) on the story."""
        for i in range(count):
            t = start + self.rng.uniform(0, spread_s) if i else start + self.rng.uniform(5, 120)
            if i % 3 == 2:
                outlet = self.rng.choice(tg.OUTLETS)
                headline = tg.fill(self.rng, self.rng.choice(tg.CRISIS_NEWS[story]), self.co)
                self.msg(
                    t,
                    headline,
                    "negative",
                    source="news",
                    author=outlet,
                    channel=outlet,
                    reach=self.rng.randint(lo, hi),
                )
            else:
                self.say(t, tg.STORIES[story], reach=self.rng.randint(lo, hi), dress=False)

    def header(self, title: str, description: str, crisis: bool, onset: float | None) -> dict:
        return {
            "kind": "scenario",
            "name": f"{self.shape.replace('_', '-')}-{self.seed}",
            "title": f"{title} at {self.co.name} (fictional)",
            "description": f"{self.co.name} is an invented {self.co.kind} company. {description}",
            "fictional": True,
            "crisis": crisis,
            "shape": self.shape,
            "onset": onset,
        }

    def done(self, header: dict) -> list[dict]:
        marks = [{"kind": "marker", "offset": round(v, 1), "name": k} for k, v in self.markers.items()]
        body = sorted(marks + self.lines, key=lambda line: line["offset"])
        return [header, *body]


def _daily(base: float, hour_of_t0: float, amp: float = 0.5):
    """A day/night rhythm: quietest around 04:00, busiest mid-afternoon."""

    def rate(t: float) -> float:
        h = (hour_of_t0 + t / HOUR) % 24
        return base * (1 - amp + amp * (1 + math.cos((h - 15) / 24 * 2 * math.pi)) / 2 * 2)

    return rate


def _ramp(
    start: float, minutes: float, top: float, floor: float = 0.0, fade_at: float | None = None, fade_s: float = 2400
):
    def rate(t: float) -> float:
        if t < start:
            return floor
        up = min(1.0, (t - start) / 60 / max(minutes, 1e-6)) ** 0.7
        down = 1.0 if fade_at is None or t < fade_at else math.exp(-(t - fade_at) / fade_s)
        return floor + top * up * down

    return rate


def abrupt(seed: int, mixed: bool = False) -> list[dict]:
    b = Builder("mixed_language" if mixed else "abrupt", seed)
    r = b.rng
    base = r.uniform(0.5, 3.5)
    onset = r.uniform(60, 900)
    end = onset + r.uniform(90, 150) * 60
    story = r.choice(["leak", "outage", "recall"]) if not mixed else r.choice(["leak", "outage"])
    calm = _daily(base, r.uniform(8, 14), amp=0.3)
    b.calm(-6 * HOUR, end, calm)
    top = base * r.uniform(8, 30)
    statement = onset + r.uniform(40, 70) * 60
    crisis_rate = _ramp(onset, r.uniform(2, 12), top, fade_at=statement)
    if mixed:
        pool = (
            tg.STORIES[story]
            + tg.SARCASM * 2
            + [(t, lab) for lang in tg.FOREIGN.values() for t, lab in lang]
            + [(t, lab) for t, lab, _ in tg.CODE_SWITCH]
        )
        langs = {t: lang for lang, items in tg.FOREIGN.items() for t, _ in items}
        langs.update({t: lang for t, _, lang in tg.CODE_SWITCH})
        for t in tg.arrivals(r, onset, end, crisis_rate):
            template, label = r.choice(pool)
            text = tg.dress(
                r,
                tg.fill(r, template, b.co, mins=int((t - onset) / 60) + 1, crisis_tag=b.crisis_tag),
                b.co,
                tags=b.tags,
            )
            b.msg(t, text, label, lang=langs.get(template, "en"))
    else:
        b.outrage(onset, end, crisis_rate, story)
    b.amplifiers(onset, story, r.randint(1, 4), spread_s=r.uniform(300, 1500))
    b.staff(-6 * HOUR, end, lambda t: r.uniform(0.2, 0.6) if t < onset + 300 else 0.0)
    b.staff(onset + 300, end, lambda t: 1.5, pool=tg.CRISIS_STAFF)
    b.markers["onset"] = onset
    kind = "Sarcastic, mixed-language outrage" if mixed else "Sudden outrage"
    return b.done(
        b.header(kind, f"Six calm hours, then a {story} breaks {onset / 60:.0f} min into the drill.", True, onset)
    )


def slow_burn(seed: int) -> list[dict]:
    b = Builder("slow_burn", seed)
    r = b.rng
    base = r.uniform(1.0, 4.0)
    onset = r.uniform(60, 1800)
    ramp_h = r.uniform(2.0, 3.0)
    f_max = r.uniform(0.45, 0.65)  # share of all posts that are complaints at the top
    growth = r.uniform(0.2, 0.8)  # volume grows this much at the top
    end = onset + (ramp_h + 1) * HOUR
    calm = _daily(base, r.uniform(9, 13), amp=0.25)

    def frac(t: float) -> float:
        return 0.0 if t < onset else min(1.0, (t - onset) / (ramp_h * HOUR)) * f_max

    b.calm(-6 * HOUR, end, lambda t: calm(t) * (1 + growth * frac(t) / f_max) * (1 - frac(t)))
    b.outrage(onset, end, lambda t: calm(t) * (1 + growth * frac(t) / f_max) * frac(t), "billing")
    b.staff(-6 * HOUR, end, lambda t: 0.3)
    p0 = sum(1 for _, lab in tg.CALM if lab == "negative") / len(tg.CALM)
    b.markers["onset"] = onset
    # When the intended negative share reaches twice the calm share.
    b.markers["doubled"] = onset + (p0 / (1 - p0)) / f_max * ramp_h * HOUR
    return b.done(b.header("Slow-burn billing error", f"Double charges spread over {ramp_h:.1f} hours.", True, onset))


def night(seed: int) -> list[dict]:
    b = Builder("night", seed)
    r = b.rng
    base = r.uniform(0.05, 0.3)
    onset = r.uniform(60, 1200)
    end = onset + 2 * HOUR
    story = r.choice(["leak", "recall", "outage"])
    b.calm(-6 * HOUR, end, _daily(base, 21.0 + 0, amp=0.2))
    b.amplifiers(onset, story, r.randint(3, 6), lo=100_000, hi=800_000, spread_s=r.uniform(240, 900))
    b.outrage(onset + 60, end, _ramp(onset + 60, r.uniform(8, 25), r.uniform(0.8, 3.0)), story)
    b.markers["onset"] = onset
    return b.done(
        b.header(
            "Night-time leak",
            f"03:00: a near-silent night, then a few very high-reach accounts post about a {story}.",
            True,
            onset,
        )
    )


def internal_first(seed: int) -> list[dict]:
    b = Builder("internal_first", seed)
    r = b.rng
    base = r.uniform(0.8, 3.0)
    staff_base = r.uniform(0.2, 0.8)
    turn = r.uniform(60, 900)
    onset = turn + 1800
    end = onset + 90 * 60
    story = r.choice(["outage", "billing"])
    b.calm(-6 * HOUR, end, _daily(base, r.uniform(9, 12), amp=0.2))
    b.staff(-6 * HOUR, end, lambda t: staff_base if t < turn else staff_base * 0.5)
    b.staff(turn, end, _ramp(turn, r.uniform(3, 10), r.uniform(1.0, 3.0)), pool=tg.CRISIS_STAFF)
    b.outrage(onset, end, _ramp(onset, r.uniform(5, 15), base * r.uniform(5, 15)), story)
    b.markers["staff_turn"] = turn
    b.markers["onset"] = onset
    return b.done(
        b.header(
            "Internal-first outage",
            "Staff notice failures in Slack half an hour before customers post about it.",
            True,
            onset,
        )
    )


def recurring(seed: int) -> list[dict]:
    b = Builder("recurring", seed)
    r = b.rng
    base = r.uniform(0.3, 1.0)
    hour0 = 0.0  # offset 0 is midnight
    calm = _daily(base, hour0, amp=0.6)
    odd_day = r.randint(-6, -2)
    news_h = r.uniform(7, 10)
    news_len = r.uniform(30, 60) * 60
    news_boost = r.uniform(3, 8)
    week_h = r.uniform(12, 19)
    week_len = r.uniform(60, 90) * 60
    week_boost = r.uniform(4, 8)

    def rate(t: float) -> float:
        day = math.floor(t / DAY)
        return calm(t) * (1.8 if day == odd_day else 1.0)

    start, end = -7 * DAY, DAY
    b.calm(start, end, rate)
    b.staff(start, end, lambda t: 0.5 * calm(t) / base)
    b.markers["daily_peak"] = news_h * HOUR
    b.markers["weekly_peak"] = week_h * HOUR
    for day in range(-7, 1):
        t0 = day * DAY + news_h * HOUR + r.uniform(-300, 300)
        b.outrage(
            t0,
            t0 + news_len,
            _ramp(t0, 2, base * news_boost, fade_at=t0 + 600, fade_s=news_len / 2),
            "",
            pool=tg.NEWSLETTER,
        )
    for day in (-7, 0):
        t0 = day * DAY + week_h * HOUR + r.uniform(-300, 300)
        b.outrage(t0, t0 + week_len, _ramp(t0, 5, base * week_boost), "", pool=tg.WEEKLY)
    return b.done(
        b.header(
            "Daily and weekly peaks",
            f"A newsletter at {news_h:.1f} h every day and a weekly live "
            f"show at {week_h:.1f} h on the judged day of the week; one unusually busy day. "
            "No crisis.",
            False,
            None,
        )
    )


def positive_spike(seed: int) -> list[dict]:
    b = Builder("positive_spike", seed)
    r = b.rng
    base = r.uniform(0.5, 3.0)
    spike = r.uniform(60, 1200)
    end = spike + r.uniform(2, 3) * HOUR
    b.calm(-6 * HOUR, end, _daily(base, r.uniform(9, 13), amp=0.25))
    viral_tag = f"{b.co.tag}{r.choice(['Ad', 'Dog', 'Moment', 'Vibes'])}"
    rate = _ramp(spike, r.uniform(5, 20), base * r.uniform(6, 15), fade_at=spike + HOUR, fade_s=3600)
    for t in tg.arrivals(r, spike, end, rate):
        b.say(t, tg.POSITIVE_VIRAL, viral_tag=viral_tag)
    for _ in range(r.randint(1, 3)):  # a celebrity and big accounts share it
        b.say(
            spike + r.uniform(0, 1800),
            tg.POSITIVE_VIRAL[:6],
            reach=r.randint(200_000, 2_000_000),
            viral_tag=viral_tag,
            dress=False,
        )
    b.staff(-6 * HOUR, end, lambda t: 0.4)
    b.markers["spike"] = spike
    return b.done(
        b.header(
            "Positive viral ad",
            "An ad goes viral for the right reasons: volume up many times, people like it. No crisis.",
            False,
            None,
        )
    )


def second_wave(seed: int) -> list[dict]:
    b = Builder("second_wave", seed)
    r = b.rng
    base = r.uniform(0.8, 3.0)
    onset = r.uniform(60, 900)
    statement = onset + r.uniform(30, 50) * 60
    wave2 = onset + r.uniform(3.5, 5.0) * HOUR
    end = wave2 + 90 * 60
    story = r.choice(["leak", "outage", "recall"])
    b.calm(-6 * HOUR, end, _daily(base, r.uniform(8, 12), amp=0.25))
    first = _ramp(onset, r.uniform(3, 10), base * r.uniform(8, 20), fade_at=statement, fade_s=1200)
    second = _ramp(wave2, r.uniform(3, 15), base * r.uniform(5, 15))
    b.outrage(onset, wave2, first, story)
    b.outrage(wave2, end, second, story)
    b.amplifiers(onset, story, 2)
    b.amplifiers(wave2, story, 2)
    b.staff(-6 * HOUR, end, lambda t: 0.4)
    b.markers["onset"] = onset
    b.markers["second_wave"] = wave2
    return b.done(
        b.header(
            "Second wave",
            f"A {story} fades after a statement and returns hours later with a new revelation.",
            True,
            onset,
        )
    )


GENERATORS = {
    "abrupt": abrupt,
    "slow_burn": slow_burn,
    "night": night,
    "internal_first": internal_first,
    "recurring": recurring,
    "positive_spike": positive_spike,
    "mixed_language": lambda seed: abrupt(seed, mixed=True),
    "second_wave": second_wave,
}


def generate(shape: str, seed: int) -> list[dict]:
    if shape not in GENERATORS:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    return GENERATORS[shape](seed)


def write(lines: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scenarios.library", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/scenarios"))
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES))
    args = parser.parse_args(argv)
    for shape in args.shapes:
        for seed in args.seeds:
            lines = generate(shape, seed)
            path = write(lines, args.out / f"{lines[0]['name']}.jsonl")
            print(f"wrote {path} lines={len(lines)}")


if __name__ == "__main__":
    main()
