"""A DM's text made plain before it is read: lower case, straight quotes, shorthand spelled out."""

import re


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text.lower()).strip()


# DM shorthand and common misspellings, spelled out so the checks below need only the full words.
SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "wat": "what",
    "wht": "what",
    "wut": "what",
    "wats": "what's",
    "whats": "what's",
    "hw": "how",
    "avail": "available",
    "avl": "available",
    "avlb": "available",
    "availble": "available",
    "avaliable": "available",
    "availabe": "available",
    "pls": "please",
    "plz": "please",
    "wld": "would",
    "cld": "could",
    "shd": "should",
    "hv": "have",
    "hav": "have",
    "sz": "size",
    "hld": "hold",
    "holdd": "hold",
    "hodl": "hold",
    "measurments": "measurements",
    "mesurements": "measurements",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
}
SHORTHAND_WORD = re.compile(r"(?<![\w'$-])(" + "|".join(sorted(SHORTHAND, key=len, reverse=True)) + r")(?![\w'-])")


def spelled_out(text: str) -> str:
    """ "wat sizes r avail 4 the levis" → "what sizes are available for the levis"."""
    text = SHORTHAND_WORD.sub(lambda match: SHORTHAND[match.group(1)], text)
    # "4" means "for" only before a pointer word: "how much 4 the levis", not "size 4".
    return re.sub(r"(?<![\w$.])4 (?=(?:the|it|that|this|these|those|them|me|you|both)\b)", "for ", text)


def bare(text: str) -> str:
    """The text without punctuation or emoji, for whole-message keywords."""
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text)).strip()
