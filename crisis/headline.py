"""The level in one plain sentence, for people who read it on a phone between
meetings: what the talk is about, how much more of it there is than usual,
and how much of it is negative. No series names, windows or factors like
"vs 30 expected (20.6x)".

    "Posts about camera, clips and cloud are 36 times the usual volume;
     37% of them are negative (usually 23%)."

The terms come from outside posts: the sentence is plain text, and whoever
shows it escapes it for where it goes (Markdown, HTML, PDF).
"""

from __future__ import annotations

SOURCE_NAMES = {"x": "X", "news": "the news", "mastodon": "Mastodon", "bluesky": "Bluesky", "reddit": "Reddit"}


def topic_terms(new_terms: list, top: int = 3) -> list[str]:
    """The words and hashtags people use now and rarely before; account names
    (@...) left out (they say who, not what)."""
    words: list[str] = []
    for term, _count in new_terms or []:
        word = str(term)
        if word.startswith("@") or not word.lstrip("#") or word in words:
            continue
        words.append(word)
        if len(words) == top:
            break
    return words


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def volume_phrase(observed: int, expected: float) -> str:
    """'36 times the usual volume', '50% above the usual volume', 'about the usual volume'."""
    if expected <= 0:
        return "far above the usual volume" if observed else "at the usual volume"
    factor = observed / expected
    if factor >= 2:
        return f"{factor:.0f} times the usual volume"
    if factor >= 1.2:
        return f"{(factor - 1) * 100:.0f}% above the usual volume"
    if factor > 0.8:
        return "about the usual volume"
    return "below the usual volume"


def headline(explanation: dict) -> str:
    """One plain sentence from the detector's explanation (crisis.explain)."""
    rising = explanation.get("rising") or []
    lead = rising[0] if rising else explanation.get("total")
    if not lead:
        return "Nothing to report yet: no posts have been judged."
    if not lead.get("observed"):
        return "It is quiet: no posts in the last few minutes."
    where = "" if lead["series"] == "total" else f" on {SOURCE_NAMES.get(lead['series'], lead['series'])}"
    terms = topic_terms(explanation.get("new_terms") or []) if rising else []
    subject = f"Posts{where} about {_and(terms)}" if terms else f"Posts{where}"
    volume = volume_phrase(int(lead["observed"]), float(lead.get("expected") or 0))
    share, usual = lead.get("negative_share"), lead.get("expected_negative_share")
    tone = f"{share:.0%} of them are negative" if share is not None else ""
    if tone and usual is not None:
        tone += f" (usually {usual:.0%})"
    sentence = f"{subject} are {volume}" + (f"; {tone}." if tone else ".")
    if explanation.get("surge") and explanation.get("level") == "normal":
        sentence += " More talk, but not more anger: not a crisis."
    return sentence
