"""Writes scenarios/tidewell-camera-leak.jsonl, the bundled drill scenario.

    python -m scenarios.build_tidewell

Tidewell Home is a fictional smart-home company; every person, handle,
outlet and post here is invented. Six hours of calm conversation (backfilled
when the drill starts), then, one minute into the drill, a researcher finds
customers' camera clips on an open cloud bucket: outrage on X and Mastodon,
news coverage, worried staff on Slack, a holding statement, and scheduled
promotional posts that have turned tone-deaf. Seeded, so the file is the
same on every run.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

OUT = Path(__file__).with_name("tidewell-camera-leak.jsonl")
ONSET_S = 60
STATEMENT_S = 45 * 60
END_S = 120 * 60
BACKFILL_S = 6 * 3600

CALM_X = [
    ("Just set up my {product}, took {n} minutes. Pretty slick.", "calm"),
    ("Does the {product} work with {platform}? Asking before I buy.", "calm"),
    ("{product} caught the delivery guy again. Love it.", "calm"),
    ("The Tidewell app is a bit slow today, anyone else?", "calm"),
    ("Firmware update on my {product} went fine overnight.", "calm"),
    ("Honestly the night vision on the {product} is great.", "calm"),
    ("Tidewell support sorted my doorbell chime in ten minutes, nice.", "calm"),
    ("Thinking about switching from {rival} to Tidewell, opinions?", "calm"),
    ("My {product} keeps dropping wifi. Annoying.", "calm"),
    ("Unboxing the new {product} tonight.", "calm"),
]
CALM_MASTODON = [
    "Tidewell's local storage option is underrated if you care about privacy.",
    "Comparing {product} and {rival} for a small office, notes in thread.",
    "Reminder: change the default password on any smart camera, Tidewell included.",
    "Tidewell published their security whitepaper, reading it now.",
]
CALM_NEWS = [
    "Tidewell Home adds package detection to {product}",
    "Review: {product} is a solid mid-range smart camera",
    "Smart-home market grows as Tidewell and {rival} cut prices",
]
CALM_SLACK = [
    "Sprint demo moved to 3pm, same room.",
    "Reminder: hoodie orders close Friday.",
    "Nice review of the {product} in Gadget Weekly today!",
    "Anyone up for lunch at the noodle place?",
    "Deploy of app 4.12 done, monitoring.",
]

CRISIS_X = [
    "My Tidewell camera clips are on a PUBLIC website. My kids' bedroom. @TidewellHome what the hell",
    "Unplugging every Tidewell camera in this house right now. Never again.",
    "So Tidewell left millions of home camera clips on an open server? Unbelievable. #TidewellLeak",
    "Checked the leaked index: my front door clips from last week are there. @TidewellHome answer your customers",
    "Why is @TidewellHome silent?? It's been {mins} minutes. #TidewellLeak",
    "Anyone know how to delete all cloud recordings from Tidewell? Asking urgently",
    "This is why you never trust a camera company with the cloud. #TidewellLeak",
    "Tidewell support line just hangs up. Great crisis handling, guys.",
    "Class action incoming. Tidewell exposed private videos of families. Disgusting.",
    "If you own a Tidewell cam, turn off cloud backup NOW. #TidewellLeak",
    "My parents have three Tidewell cams. Calling them right now to unplug them.",
    "Tidewell's privacy page says 'encrypted end to end'. Apparently not.",
    "Returning my {product} tomorrow. Refund or I'm going to the regulator.",
    "The worst part is the silence from @TidewellHome. Say something.",
]
CRISIS_RESEARCHER = [
    "Found an open storage bucket with ~2.3M video clips from Tidewell home cameras. No auth. Reported to Tidewell 40 min ago, no reply. #TidewellLeak",
    "Update: bucket still open. Clips include indoor cameras. Tidewell, please lock this down now.",
    "To be clear: I have not downloaded the clips. Metadata alone shows addresses in filenames.",
    "Bucket is now closed. Good. Still need to know how long it was open.",
]
CRISIS_MASTODON = [
    "The Tidewell bucket was world-readable. Indoor clips, filenames with street names. This is bad.",
    "Thread: what Tidewell owners should do right now (disable cloud backup, rotate passwords).",
    "Tidewell's 'privacy first' marketing aged badly today. #TidewellLeak",
    "Data protection authority should look at Tidewell. Exposing indoor video is serious.",
]
CRISIS_NEWS = [
    (8, "Security researcher finds millions of Tidewell camera clips on open server"),
    (15, "Tidewell Home customers report private videos exposed online"),
    (24, "Tidewell shares slide as camera leak spreads on social media"),
    (33, "What Tidewell camera owners should do after the reported leak"),
    (50, "Tidewell says exposed storage is closed, investigation ongoing"),
    (75, "Regulator asks Tidewell for details on camera clip exposure"),
    (105, "Tidewell leak: how long was the bucket open?"),
]
CRISIS_SLACK = [
    ("#support", "Support queue just went from 40 to 900 tickets. What do we tell people about the clips?"),
    ("#support", "Customers are asking if their indoor cams were exposed. Do we have a line yet?"),
    ("#general", "Is the camera leak on X real? My friends are sending me screenshots."),
    ("#general", "Are we going to get an all-hands on this? People are worried."),
    ("#engineering", "Bucket policy was changed in last Tuesday's infra deploy. Rolling back now."),
    ("#engineering", "Bucket locked. Access logs being pulled for the exposure window."),
    ("#general", "Really hope leadership says something soon, this is awful for customers."),
    ("#support", "Please don't improvise on refunds until comms sends the approved answer."),
    ("#general", "My mum just asked me if her Tidewell cam is safe. I don't know what to say."),
]
AFTER_STATEMENT_X = [
    "At least @TidewellHome finally said something. Still want to know how long it was open.",
    "Tidewell statement: bucket closed, investigating, emailing affected customers. Too little too late?",
    "OK Tidewell closed the bucket and is being upfront. Waiting for the full report.",
    "Statement from Tidewell is fine but where's the apology to the families?",
    "Turned cloud backup off. Reading Tidewell's FAQ now.",
]
STATEMENT = (
    "We have closed the misconfigured storage that exposed some customers' camera clips. "
    "We are investigating how long it was open and will contact every affected customer today. "
    "We are deeply sorry. Updates: tidewell.example/security"
)
PRODUCTS = ["Tidewell Cam 2", "Tidewell Doorbell", "Tidewell Cam Indoor", "Tidewell Floodlight"]
RIVALS = ["Brightlane", "Homestead Eye", "Owlpost Cams"]
PLATFORMS = ["HomeKit", "Alexa", "Home Assistant"]
FIRST = ["sam", "priya", "jo", "marta", "kofi", "lena", "tom", "yuki", "ravi", "ines", "noah", "ada"]
LAST = ["builds", "at_home", "writes", "k", "codes", "in_leeds", "_nl", "loves_tech", "2021", "x"]


def fill(rng: random.Random, template: str, mins: int = 0) -> str:
    return template.format(
        product=rng.choice(PRODUCTS),
        rival=rng.choice(RIVALS),
        platform=rng.choice(PLATFORMS),
        n=rng.randint(3, 20),
        mins=mins,
    )


def handle(rng: random.Random) -> str:
    return f"@{rng.choice(FIRST)}{rng.choice(LAST)}"


def reach(rng: random.Random) -> int:
    return int(math.exp(rng.gauss(5.5, 1.6)))


def arrivals(rng: random.Random, start: float, end: float, rate_per_min) -> list[float]:
    """Poisson arrivals with a time-varying rate (thinning)."""
    out: list[float] = []
    t, peak = start, max(rate_per_min(x) for x in range(int(start), int(end), 30)) or 1e-9
    while True:
        t += rng.expovariate(peak / 60)
        if t >= end:
            return out
        if rng.random() < rate_per_min(t) / peak:
            out.append(t)


def x_rate(t: float) -> float:
    if t < ONSET_S:
        return 1.0 + 0.4 * math.sin(t / 7200 * math.pi)
    m = (t - ONSET_S) / 60
    ramp = min(1.0, m / 15) ** 0.7  # a sharp step at the onset, full outrage in 15 min
    decay = 1.0 if t < STATEMENT_S else math.exp(-(t - STATEMENT_S) / 2400)
    return 1.0 + 34 * ramp * (0.35 + 0.65 * decay)


def build() -> list[dict]:
    rng = random.Random(20261122)
    lines: list[dict] = [
        {
            "kind": "scenario",
            "name": "tidewell-camera-leak",
            "title": "Tidewell camera clip leak (fictional)",
            "description": "A fictional smart-home company's cloud bucket exposes customers' camera clips. "
            "Six hours of calm, then the leak breaks one minute into the drill.",
            "fictional": True,
            "own_accounts": ["@TidewellHome", "social@tidewell"],
        },
        {"kind": "marker", "offset": ONSET_S, "name": "onset"},
        {"kind": "marker", "offset": STATEMENT_S, "name": "statement"},
    ]

    def msg(t: float, source: str, channel: str, author: str, text: str, r: int, url: str = "") -> None:
        line = {"offset": round(t, 1), "source": source, "channel": channel, "author": author, "reach": r, "text": text}
        if url:
            line["url"] = url
        lines.append(line)

    for t in arrivals(rng, -BACKFILL_S, END_S, x_rate):
        if t < ONSET_S:
            template, _ = rng.choice(CALM_X)
            text = fill(rng, template)
        elif t >= STATEMENT_S and rng.random() < 0.45:
            text = rng.choice(AFTER_STATEMENT_X)
        else:
            text = fill(rng, rng.choice(CRISIS_X), mins=int((t - ONSET_S) / 60))
        msg(t, "x", "search: tidewell", handle(rng), text, reach(rng))
    for t in arrivals(rng, -BACKFILL_S, END_S, lambda t: 0.25 if t < ONSET_S else 3.0):
        pool = CALM_MASTODON if t < ONSET_S else CRISIS_MASTODON
        msg(
            t,
            "mastodon",
            "#tidewell",
            f"@{rng.choice(FIRST)}@social.example",
            fill(rng, rng.choice(pool)),
            reach(rng) // 3,
        )
    for i, t in enumerate(range(-BACKFILL_S + 1500, 0, 5400)):
        msg(t, "news", "Gadget Weekly", "Gadget Weekly", fill(rng, CALM_NEWS[i % len(CALM_NEWS)]), 120_000)
    outlets = ["The Daily Ledger", "Gadget Weekly", "Metro Tech", "Newswire"]
    for i, (minute, headline) in enumerate(CRISIS_NEWS):
        msg(
            ONSET_S + minute * 60,
            "news",
            outlets[i % len(outlets)],
            outlets[i % len(outlets)],
            headline,
            400_000 + 50_000 * i,
        )
    for i, text in enumerate(CRISIS_RESEARCHER):
        msg(ONSET_S + 5 + i * 900, "x", "search: tidewell", "@mira_secures", text, 84_000)
    msg(STATEMENT_S, "x", "search: tidewell", "@TidewellHome", STATEMENT, 310_000, "https://tidewell.example/security")
    for t in arrivals(rng, -BACKFILL_S, END_S, lambda t: 0.4 if t < ONSET_S else 2.5):
        if t < ONSET_S + 180:
            msg(t, "slack", "#general", f"U{rng.randint(10**6, 10**7 - 1)}", fill(rng, rng.choice(CALM_SLACK)), 0)
        else:
            channel, text = rng.choice(CRISIS_SLACK)
            msg(t, "slack", channel, f"U{rng.randint(10**6, 10**7 - 1)}", text, 0)
    posts = [
        (30 * 60, "x", "Black Friday killer deal: Tidewell Cam Indoor 40% off. Never miss a moment at home!"),
        (90 * 60, "x", "Share your favourite #TidewellMoments clip and win a Floodlight!"),
        (3 * 3600, "x", "Your memories, safe in the Tidewell cloud. Forever."),
        (2 * 3600, "slack", "All-hands Friday: celebrating our record quarter with cake at 4pm!"),
    ]
    for offset, channel, text in posts:
        lines.append(
            {"kind": "scheduled_post", "offset": offset, "channel": channel, "author": "social@tidewell", "text": text}
        )
    head, rest = lines[:1], lines[1:]
    rest.sort(key=lambda line: line["offset"])
    return head + rest


def main() -> None:
    lines = build()
    OUT.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {OUT} lines={len(lines)}")


if __name__ == "__main__":
    main()
