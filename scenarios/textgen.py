"""Seeded text for generated scenarios: fictional companies, people and posts.

Everything here is invented: company names are built from made-up parts,
handles from first names and suffixes. Each template carries the label a
reader would give it (negative / neutral / positive), stored on the line as
`label`, so tests can score without a model. Variety comes from many
templates, slot fillers, replies, hashtags, casing and typos.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence

_PREFIX = [
    "Brindle",
    "Quillon",
    "Marrowby",
    "Tessaly",
    "Vantor",
    "Orrin",
    "Kelpie",
    "Sorrel",
    "Halvik",
    "Juniper",
    "Pemberly",
    "Caskade",
    "Lumora",
    "Fenwick",
    "Ostra",
    "Yarrow",
    "Zephyrine",
    "Calloway",
    "Nimbra",
    "Redfern",
]


@dataclass(frozen=True)
class Sector:
    suffix: tuple[str, ...]
    products: tuple[str, ...]
    features: tuple[str, ...]
    staff_teams: tuple[str, ...]


SECTORS = {
    "bank": Sector(
        ("Bank", "Money", "Pay", "Finance"),
        ("app", "debit card", "savings account", "credit card"),
        ("transfers", "the app login", "card payments", "direct debits"),
        ("#support", "#payments", "#ops"),
    ),
    "airline": Sector(
        ("Air", "Airways", "Jet"),
        ("app", "check-in", "loyalty scheme", "lounge"),
        ("bookings", "online check-in", "baggage tracking", "seat selection"),
        ("#ops", "#crew", "#care"),
    ),
    "telecom": Sector(
        ("Mobile", "Telecom", "Fibre", "Connect"),
        ("5G plan", "broadband", "router", "app"),
        ("mobile data", "home broadband", "billing", "roaming"),
        ("#noc", "#support", "#billing"),
    ),
    "smarthome": Sector(
        ("Home", "Labs", "Living"),
        ("camera", "doorbell", "thermostat", "smart lock"),
        ("cloud recordings", "the app", "remote unlock", "motion alerts"),
        ("#support", "#eng", "#ops"),
    ),
    "food": Sector(
        ("Foods", "Kitchen", "Eats", "Dairy"),
        ("yoghurt", "granola", "meal kit", "oat drink"),
        ("delivery", "the subscription", "the recipe app", "orders"),
        ("#quality", "#support", "#ops"),
    ),
    "software": Sector(
        ("Cloud", "Works", "Soft", "Stack"),
        ("workspace", "notes app", "sync client", "API"),
        ("file sync", "sign-in", "sharing", "backups"),
        ("#incidents", "#support", "#eng"),
    ),
}

FIRST = [
    "sam",
    "priya",
    "jo",
    "marta",
    "kofi",
    "lena",
    "tom",
    "yuki",
    "ravi",
    "ines",
    "noah",
    "ada",
    "oskar",
    "bea",
    "carmen",
    "diego",
    "hannah",
    "jonas",
    "amelie",
    "luc",
    "farah",
    "ibrahim",
    "mei",
    "pablo",
    "greta",
    "theo",
    "nadia",
    "ollie",
    "rosa",
    "felix",
    "chloe",
    "arjun",
    "wren",
    "mateo",
    "zoe",
    "emil",
    "isla",
    "kai",
]
LAST = [
    "builds",
    "at_home",
    "writes",
    "k",
    "codes",
    "in_leeds",
    "_nl",
    "loves_tech",
    "2021",
    "x",
    "_m",
    "uk",
    "88",
    "_runs",
    "dev",
    "photo",
    "_b",
    "ontour",
    "reads",
    "_",
    "1990",
    "lol",
    "_official",
    "fm",
    "_eats",
]
CITIES = ["Leeds", "Lyon", "Porto", "Bremen", "Malaga", "Utrecht", "Cork", "Gdansk", "Turin", "Ghent"]
OUTLETS = ["The Daily Ledger", "Metro Wire", "Northgate Post", "Consumer Watch", "The Evening Courier", "Newsline 24"]


@dataclass(frozen=True)
class Company:
    name: str
    handle: str
    tag: str
    sector: Sector
    kind: str


def company(rng: random.Random) -> Company:
    kind = rng.choice(sorted(SECTORS))
    sector = SECTORS[kind]
    name = f"{rng.choice(_PREFIX)} {rng.choice(sector.suffix)}"
    handle = "@" + name.replace(" ", "")
    return Company(name, handle, "#" + name.split()[0], sector, kind)


def handle(rng: random.Random) -> str:
    return f"@{rng.choice(FIRST)}{rng.choice(LAST)}{rng.choice(['', '', '', str(rng.randint(1, 99))])}"


def reach(rng: random.Random, mu: float = 5.3, sigma: float = 1.5, cap: int = 40_000) -> int:
    """Followers of an ordinary account: log-normal, capped (big accounts are placed on purpose)."""
    return min(cap, int(math.exp(rng.gauss(mu, sigma))))


# (template, label). Slots: {brand} {handle} {product} {feature} {n} {city} {amount} {mins}.
CALM = [
    ("Just set up the {brand} {product}, took {n} minutes. Pretty slick.", "positive"),
    ("Does the {brand} {product} work abroad? Asking before I sign up.", "neutral"),
    ("{brand} support sorted my issue in ten minutes, nice.", "positive"),
    ("The {brand} app is a bit slow today, anyone else?", "negative"),
    ("Thinking about switching to {brand}, opinions?", "neutral"),
    ("Honestly the {brand} {product} is great value.", "positive"),
    ("Got the {brand} newsletter, some decent tips in there this week.", "positive"),
    ("Anyone tried the new {feature} update from {brand}?", "neutral"),
    ("{brand} {product} arrived today. Let's see.", "neutral"),
    ("Been with {brand} for {n} years, no complaints really.", "positive"),
    ("Why does {brand} keep sending me emails about the {product}. Unsubscribed.", "negative"),
    ("Comparing {brand} with the others for my parents, notes welcome.", "neutral"),
    ("{handle} is {brand} any good for someone in {city}?", "neutral"),
    ("Small thing but the new {brand} logo is growing on me", "positive"),
    ("Waited {n} minutes on hold with {brand} today. Meh.", "negative"),
    ("Using {brand} {feature} for the first time, fingers crossed", "neutral"),
    ("Love how easy {brand} made {feature}. Well done", "positive"),
    ("Is there a {brand} store in {city}?", "neutral"),
    ("{brand} price went up by {amount} this month, not thrilled", "negative"),
    ("Reading the {brand} annual report, interesting numbers on {product}", "neutral"),
    ("shoutout to the {brand} person who helped me in {city} today, legend", "positive"),
    ("Can't decide between {brand} and a rival. Thoughts?", "neutral"),
    ("The {brand} {product} is fine. Does what it says.", "neutral"),
    ("Happy with my {brand} {product} so far, {n} weeks in.", "positive"),
    ("{brand} {feature} was down for a few minutes this morning but back now", "neutral"),
]
CALM_NEWS = [
    ("{brand} reports steady growth in {product} customers", "neutral"),
    ("{brand} opens new office in {city}", "neutral"),
    ("Review: the {brand} {product} is a solid choice", "positive"),
    ("{brand} names new head of customer experience", "neutral"),
]
CALM_STAFF = [
    ("Sprint demo moved to 3pm, same room.", "neutral"),
    ("Reminder: hoodie orders close Friday.", "neutral"),
    ("Nice write-up about the {product} in the press today!", "positive"),
    ("Anyone up for lunch at the noodle place?", "neutral"),
    ("Deploy of {feature} fix done, monitoring.", "neutral"),
    ("Great job on the release everyone, smooth as anything.", "positive"),
    ("Coffee machine on floor 2 is fixed, rejoice", "positive"),
    ("Who has the keys to meeting room B?", "neutral"),
    ("Quarterly survey closes tomorrow, please fill it in.", "neutral"),
    ("Welcome {first} to the team!", "positive"),
]

# Crisis stories: each a list of (template, label); most are complaints.
STORIES = {
    "leak": [
        ("My personal data from {brand} is on a PUBLIC website. What the hell {brand_handle}", "negative"),
        ("So {brand} left millions of customer records on an open server? Unbelievable. {crisis_tag}", "negative"),
        ("Checked the leaked file and my address is there. {brand_handle} answer your customers", "negative"),
        ("Why is {brand_handle} silent?? It's been {mins} minutes. {crisis_tag}", "negative"),
        ("Deleting my {brand} account right now. Never again.", "negative"),
        ("This is why you never trust {brand} with your data. Disgusting. {crisis_tag}", "negative"),
        ("{brand} support line just hangs up. Great crisis handling, guys.", "negative"),
        ("Class action incoming. {brand} exposed private details of families. Shameful.", "negative"),
        ("If you use {brand}, change your password NOW. {crisis_tag}", "negative"),
        ("Is the {brand} leak real? Seeing screenshots everywhere", "neutral"),
        ("{brand}'s privacy page says 'secure by design'. Apparently not. Pathetic.", "negative"),
        ("Cancelling my {product} tomorrow. Refund or I'm going to the regulator.", "negative"),
        ("The worst part is the silence from {brand_handle}. Say something.", "negative"),
        ("My mum uses {brand}. Terrified her details are out there now.", "negative"),
    ],
    "outage": [
        ("{brand} {feature} has been down for {mins} minutes and nobody is saying anything. Useless.", "negative"),
        ("Can't access my money, {brand} is down AGAIN. This is a disgrace. {crisis_tag}", "negative"),
        ("{brand_handle} what is going on?? {feature} is completely broken", "negative"),
        ("Stuck in {city} because {brand} {feature} is dead. Thanks for nothing.", "negative"),
        ("Third outage this month. I'm done with {brand}. {crisis_tag}", "negative"),
        ("Anyone else getting errors from {brand}?", "neutral"),
        ("{brand} status page says all green. Liars. Nothing works.", "negative"),
        ("Lost an entire afternoon of work to the {brand} outage. Furious.", "negative"),
        ("Paid for {product} and get nothing but error screens. Awful service {brand_handle}", "negative"),
        ("{brand} down, support queue {n} hours. Absolute joke. {crisis_tag}", "negative"),
        ("My rent payment failed because of {brand}. Who pays the late fee? Not me.", "negative"),
        ("is {brand} down or is it just me", "neutral"),
    ],
    "billing": [
        ("{brand} just charged me {amount} twice for my {product}. What?", "negative"),
        ("Anyone else double billed by {brand} this month? {crisis_tag}", "negative"),
        ("{brand_handle} you took {amount} from my account without asking. Refund it now.", "negative"),
        ("Overdrawn because {brand} charged me three times. Thanks a lot.", "negative"),
        ("Checked my statement, {brand} billed me {amount} for a {product} I cancelled. Ridiculous", "negative"),
        ("Been on hold {n} minutes about a wrong {brand} charge. Terrible.", "negative"),
        ("Looks like {brand} has a billing bug, check your accounts people", "negative"),
        ("{brand} billing error cost me {amount} in fees. Who is paying for that?", "negative"),
        ("hmm my {brand} bill is way higher than usual?", "neutral"),
        ("Filed a complaint with {brand} about the overcharge. Not impressed.", "negative"),
    ],
    "recall": [
        ("Found glass in my {brand} {product}. My kid almost ate it. Horrified.", "negative"),
        ("{brand} recall: check your {product} now, people are getting sick {crisis_tag}", "negative"),
        ("Why did {brand_handle} wait this long to tell us? Unacceptable.", "negative"),
        ("Threw out everything from {brand}. Never buying again.", "negative"),
        ("My whole family was ill after the {brand} {product}. Disgusting.", "negative"),
        ("{brand} says 'precaution'. People are in hospital. Shameful. {crisis_tag}", "negative"),
        ("Is the {brand} {product} from {city} affected?", "neutral"),
        ("Took my {brand} {product} back to the shop, they had no idea. Chaos.", "negative"),
    ],
}
SARCASM = [
    ("Great job {brand}, my details all over the internet. Love that for me 🙃", "negative"),
    ("Wow {brand}, truly world class security. Slow clap. {crisis_tag}", "negative"),
    ("Oh fantastic, {brand} is down again. Best. Service. Ever. /s", "negative"),
    ("Thanks {brand_handle} for teaching me how to spend {n} hours on hold. So helpful 🙄", "negative"),
    ("Can't wait to hear how {brand} 'takes privacy seriously' this time lol", "negative"),
    ("Love paying {amount} a month for {brand} to lose my stuff. Bargain!", "negative"),
]
FOREIGN = {
    "es": [
        ("Qué vergüenza {brand}, mis datos en internet. Exijo una explicación {brand_handle}", "negative"),
        ("{brand} es un desastre, llevo {n} horas sin servicio. Nunca más.", "negative"),
        ("Increíble lo de {brand}. Voy a cancelar mi cuenta hoy mismo. {crisis_tag}", "negative"),
        ("¿Alguien sabe qué pasa con {brand}? Nadie responde.", "negative"),
        ("Fatal el servicio de {brand}, una estafa total", "negative"),
    ],
    "de": [
        ("Unfassbar, {brand}. Meine Daten liegen offen im Netz. Ich kündige. {crisis_tag}", "negative"),
        ("{brand} ist seit {n} Stunden nicht erreichbar. Katastrophe!", "negative"),
        ("Was für ein Skandal bei {brand}. Keine Antwort vom Support.", "negative"),
        ("Nie wieder {brand}. Absolut enttäuschend.", "negative"),
    ],
    "fr": [
        ("C'est honteux {brand}, mes données sont sur internet. {crisis_tag}", "negative"),
        ("{brand} en panne depuis {n} heures, aucune réponse. Scandaleux.", "negative"),
        ("J'annule mon abonnement {brand}. Service nul, vraiment nul.", "negative"),
        ("Quelqu'un a des nouvelles de {brand}? C'est n'importe quoi.", "negative"),
    ],
}
CODE_SWITCH = [
    ("{brand} lost my data otra vez. Qué desastre. {crisis_tag}", "negative", "es"),
    ("Seriously {brand}?? Das ist einfach nur peinlich. {crisis_tag}", "negative", "de"),
    ("{brand} support is useless, franchement c'est une honte", "negative", "fr"),
    ("No puedo creerlo, {brand} exposed everyone's addresses. Terrible.", "negative", "es"),
]
CRISIS_NEWS = {
    "leak": [
        "Researcher finds {brand} customer records on open server",
        "{brand} customers report personal data exposed",
        "{brand} faces regulator questions over data exposure",
        "What {brand} customers should do after the leak",
    ],
    "outage": [
        "{brand} outage leaves customers stranded",
        "{brand} {feature} down for hours, customers furious",
        "Second {brand} outage this month raises questions",
    ],
    "billing": [
        "{brand} customers hit by double charges",
        "{brand} admits billing error, promises refunds",
        "Regulator looks at {brand} billing mistake",
    ],
    "recall": [
        "{brand} recalls {product} after contamination reports",
        "Families ill after eating {brand} {product}",
        "Retailers pull {brand} {product} from shelves",
    ],
}
CRISIS_STAFF = [
    ("Support queue just went from 40 to {n}00 tickets. What do we tell people?", "negative"),
    ("Customers are furious on the phones. Do we have a line yet?", "negative"),
    ("Is the thing on social media real? Friends are sending me screenshots.", "negative"),
    ("This is really bad. Are we getting an all-hands?", "negative"),
    ("Something is seriously broken with {feature}, errors everywhere, escalating now.", "negative"),
    ("Complaints coming in fast, agents are overwhelmed and upset.", "negative"),
    ("Really worried, nobody from leadership has said anything.", "negative"),
    ("Please don't improvise on refunds until comms sends the approved answer.", "neutral"),
    ("We messed up badly here. Customers are angry and they're right.", "negative"),
    ("Rolling back the {feature} change, it is causing failures.", "negative"),
]
POSITIVE_VIRAL = [
    ("Obsessed with the new {brand} ad, the dog at the end 😂 {viral_tag}", "positive"),
    ("{brand} just made my whole week. Best {product} ever! {viral_tag}", "positive"),
    ("Did you see {celebrity} with the {brand} {product}?? Iconic. {viral_tag}", "positive"),
    ("Ok the {brand} campaign is genuinely brilliant {viral_tag}", "positive"),
    ("Just ordered the {brand} {product} because of that video, no regrets", "positive"),
    ("{brand} marketing team deserves a raise, this is so good {viral_tag}", "positive"),
    ("Everyone at work is talking about the {brand} ad lol", "neutral"),
    ("Watched the {brand} video {n} times already. Love it {viral_tag}", "positive"),
    ("Where can I get the {brand} {product} from the video?", "neutral"),
    ("{brand} going viral is the wholesome content we needed", "positive"),
    ("The {brand} ad song is stuck in my head now. Thanks {brand_handle} 😅", "neutral"),
    ("{brand} with the marketing masterclass today 👏 {viral_tag}", "positive"),
    ("Not sure what the fuss is about the {brand} ad but ok", "neutral"),
    ("The {brand} ad is everywhere and I'm already sick of it", "negative"),
]
CELEBRITIES = ["Mara Quinlan", "DJ Oberon", "Tess Halloway", "Rico Vance"]
NEWSLETTER = [
    ("The {brand} weekly newsletter is out: {n} tips for your {product}", "neutral"),
    ("Reading this morning's {brand} digest, good piece on {feature}", "positive"),
    ("{brand} newsletter today has a discount code for the {product}, nice", "positive"),
    ("Anyone else get the {brand} newsletter twice today?", "neutral"),
    ("Clicked the {brand} newsletter link, page won't load. Annoying.", "negative"),
    ("Love the {brand} morning newsletter, short and useful", "positive"),
    ("{brand} newsletter says {feature} is getting an update, ok", "neutral"),
]
WEEKLY = [
    ("Joining the {brand} weekly live Q&A, ask them about {feature}!", "neutral"),
    ("{brand} live stream this week is actually useful", "positive"),
    ("Watching the {brand} weekly show, they answered my question!", "positive"),
    ("{brand} weekly deal drop is live: {product} cheaper today", "positive"),
    ("The {brand} stream keeps buffering for me", "negative"),
    ("Missed the start of the {brand} weekly session, is there a replay?", "neutral"),
]


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 4 and w.isalpha():
        j = rng.randrange(1, len(w) - 2)
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
        words[i] = w
    return " ".join(words)


def dress(rng: random.Random, text: str, co: Company, *, replies: bool = True, tags: Sequence[str] = ()) -> str:
    """Vary one filled template: a reply prefix, a hashtag, casing, a typo, punctuation."""
    if replies and rng.random() < 0.18:
        text = f"{handle(rng)} {text}" if rng.random() < 0.6 else f"{co.handle} {text}"
    if tags and rng.random() < 0.25:
        text = f"{text} {rng.choice(tags)}"
    r = rng.random()
    if r < 0.12:
        text = text.lower()
    elif r < 0.16:
        text = text.rstrip(".") + rng.choice(["!!", "...", " 😤", " smh", " ugh", " 🙄"])
    if rng.random() < 0.12:
        text = _typo(rng, text)
    return text


def fill(
    rng: random.Random, template: str, co: Company, mins: int = 0, crisis_tag: str = "", viral_tag: str = ""
) -> str:
    text = template.format(
        brand=co.name,
        brand_handle=co.handle,
        handle=handle(rng),
        product=rng.choice(co.sector.products),
        feature=rng.choice(co.sector.features),
        n=rng.randint(2, 19),
        city=rng.choice(CITIES),
        amount=f"{rng.choice(['£', '€', '$'])}{rng.randint(9, 240)}",
        mins=mins,
        crisis_tag=crisis_tag,
        viral_tag=viral_tag,
        first=rng.choice(FIRST).title(),
        celebrity=rng.choice(CELEBRITIES),
    )
    return " ".join(text.split())


def staff_author(rng: random.Random) -> str:
    return f"U{rng.randint(10**6, 10**7 - 1)}"


def arrivals(rng: random.Random, start: float, end: float, rate_per_min) -> list[float]:
    """Poisson arrivals with a time-varying rate (per minute), by thinning."""
    if end <= start:
        return []
    peak = max(rate_per_min(x) for x in _grid(start, end)) or 1e-9
    out: list[float] = []
    t = start
    while True:
        t += rng.expovariate(peak / 60)
        if t >= end:
            return out
        if rng.random() < rate_per_min(t) / peak:
            out.append(t)


def _grid(start: float, end: float):
    step = max(10.0, (end - start) / 20000)
    x = start
    while x < end:
        yield x
        x += step
    yield end
