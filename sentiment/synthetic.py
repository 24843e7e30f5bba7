"""Customer-service posts, generated from templates with a fixed seed.

The Twitter training data has few posts in the language brands actually get:
billing complaints ("charged twice", "still no refund"), sarcastic praise
("Great job leaking my data, thanks"), calm questions ("How long do
international transfers take?") and praise for a fixed problem ("wifi calling
finally works"). `generate(n, seed)` writes such posts with their labels;
sentiment.train mixes them into the fine-tuning data. Same seed, same posts.
"""

from __future__ import annotations

import random

BRANDS = ["@user", "@Tidewell", "@acmebank", "@skylinkair", "@novamobile", "@brightpower", "Tidewell", "your app", ""]
THINGS = [
    "my card",
    "the app",
    "my account",
    "the router",
    "wifi calling",
    "my order",
    "the website",
    "my bill",
    "online banking",
    "the checkout",
    "my phone",
    "the delivery",
    "my booking",
    "the update",
    "customer support",
    "my subscription",
    "the transfer",
    "my flight",
    "the login page",
    "5G",
]
COMPLAINTS = [
    "charged twice for {thing}",
    "still no refund after {n} weeks",
    "been on hold for {n} hours",
    "{thing} has been down since {day}",
    "third time {thing} failed this week",
    "you cancelled {thing} without telling me",
    "still waiting on the refund you promised {day}",
    "double charged again",
    "overcharged on {thing} for {n} months",
    "nobody answers the chat",
    "{thing} keeps crashing",
    "my money is gone and support just closes the ticket",
    "{n} calls and still not fixed",
    "hidden fees on {thing} again",
    "{thing} stopped working after the update",
    "lost my parcel and no one cares",
    "refund rejected for no reason",
    "{thing} is broken and I'm paying for it",
    "locked out of {thing} for {n} days",
    "the outage cost me a day of work",
]
ANGRY_ENDINGS = [
    "",
    ".",
    "!",
    " ridiculous.",
    " unacceptable.",
    " sort it out.",
    " done with you.",
    " #fail",
    " 😡",
    " seriously?",
]
SARCASM = [
    "Great job leaking my data, thanks",
    "Love paying for {thing} that never works",
    "Wow, {n} hours on hold, amazing service",
    "Thanks for charging me twice, really appreciate it",
    "Fantastic, {thing} is down again",
    "Brilliant update, now {thing} crashes",
    "Nothing says customer care like a {n} week wait for a refund",
    "So glad I pay extra for {thing} to be offline",
    "Best support ever: they hung up on me",
    "Oh great, another outage. Perfect timing",
    "Thanks for nothing",
    "Wonderful, my order vanished again",
    "Truly impressed how you lost my luggage twice",
    "Love how {thing} logs me out every five minutes",
    "Cheers for the surprise fees, so kind",
]
SARCASM_ENDINGS = ["", " 🙄", " 👏👏", " /s", "!", " lol", " just wonderful", " 😒", ". Thanks a lot."]
QUESTIONS = [
    "How long do international transfers take?",
    "Does {thing} support Apple Pay?",
    "What time does the store open on {day}?",
    "Is there a student discount?",
    "Can I change the date of my booking online?",
    "Where can I find my invoice?",
    "How do I update my address?",
    "Which plan includes roaming?",
    "Is {thing} available in my area?",
    "What's the baggage allowance for economy?",
    "Do you ship to Canada?",
    "How do I reset my password?",
    "When does the new tariff start?",
    "Can I pause my subscription for a month?",
    "Is the branch on Main St open {day}?",
    "Do I need an account to check out?",
    "How many devices can use one plan?",
    "Any news on the app release date?",
    "Could you tell me the fee for a card replacement?",
    "Are pets allowed on the train?",
]
PRAISE_FIXED = [
    "{thing} finally works",
    "wifi calling finally works",
    "refund came through, thanks",
    "issue fixed in minutes, great support",
    "{thing} is back up, thank you",
    "the update fixed {thing}",
    "sorted in one call, impressed",
    "got my money back today, thanks for sorting it",
    "support stayed with me until {thing} worked, thank you",
    "{thing} is fast again",
    "parcel arrived after all, thanks team",
    "thanks for fixing {thing} so quickly",
    "after {n} days {thing} works again, cheers",
    "problem solved, the agent was lovely",
    "all good now, thanks for the help",
]
POSITIVE_ENDINGS = ["", "!", " 🙌", " :)", " much appreciated", " 👍", " great job", " ❤️"]
DAYS = ["Monday", "Tuesday", "yesterday", "last week", "Friday", "the weekend", "this morning", "Sunday"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(thing=rng.choice(THINGS), n=rng.randint(2, 9), day=rng.choice(DAYS))


def _post(rng: random.Random, body: str, ending: str) -> str:
    brand = rng.choice(BRANDS)
    text = body + ending
    if rng.random() < 0.3:
        text = text.lower()
    if brand and rng.random() < 0.7:
        text = f"{brand} {text}" if rng.random() < 0.6 else f"{text} {brand}"
    return text.strip()


def generate(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """n (label, text) pairs: complaints, sarcasm, questions and fixed-problem praise in equal parts."""
    rng = random.Random(seed)
    kinds = [
        ("negative", COMPLAINTS, ANGRY_ENDINGS),
        ("negative", SARCASM, SARCASM_ENDINGS),
        ("neutral", QUESTIONS, ["", "", " thanks", " Thanks!", " cheers"]),
        ("positive", PRAISE_FIXED, POSITIVE_ENDINGS),
    ]
    out = []
    for i in range(n):
        label, templates, endings = kinds[i % len(kinds)]
        out.append((label, _post(rng, _fill(rng.choice(templates), rng), rng.choice(endings))))
    rng.shuffle(out)
    return out
