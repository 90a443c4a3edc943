"""Misspelt shop words read as the word meant: "jakcet" → "jacket", "blakc" → "black", "meduim" → "medium",
"adiddas" → "adidas" (a brand in stock).

A word is corrected only when it is not a word anyone would write on purpose — not in the English word list
(pyspellchecker's frequency dictionary), not a shop word, not a stopword, not DM shorthand — and it is close
to one shop word only: a garment, a size, a colour, a measurement or a word of a brand in stock. So "coat"
never becomes "cost", "short" never "shirt", "best" never "vest". How close is close depends on the length:
one typo (a letter wrong, missing, extra, or two swapped) up to seven letters, two from eight.

Nicknames that are not typos ("patagucci", "carhart") are `query.BRAND_ALIASES`, not guesses.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from assistant.language.text import SHORTHAND
from inventory.vocabulary import (
    COLOUR_FOR_WORD,
    DENIM_WORD,
    FAMILY_FOR_WORD,
    SEVERAL_CATEGORIES_WORDS,
    SIZE_WORDS,
)

# Measurement words a search reads (`query.MEASUREMENT_WORDS` and the waist), one word each.
MEASUREMENT_TARGETS = {
    "waist": "waist",
    "inseam": "inseam",
    "length": "length",
    "chest": "pit_to_pit",
    "shoulder": "shoulder",
    "shoulders": "shoulder",
    "sleeve": "sleeve",
    "sleeves": "sleeve",
}
# Shorter words are left alone: at three letters one typo lands on too many words ("tee", "cap", "red").
SHORTEST = 4
# How much nearer (Indel similarity, 0 to 1) one shop word must be than another of a different meaning to be read.
CLEAR_MARGIN = 0.1
WORD = re.compile(rf"(?<![\w'$-])[a-z]{{{SHORTEST},}}(?![\w'-])")


@dataclass(frozen=True)
class Correction:
    """A word the customer typed and the shop word it was read as; `misspelt` is False for a brand's
    plural ("nikes"), which is read silently."""

    typed: str
    read: str
    misspelt: bool = True


@dataclass(frozen=True)
class _Vocabulary:
    """The shop words a typo may be read as, each with what it means (spellings of one meaning do not
    compete: "sweatshrits" is near "sweatshirts" and "sweatshirt", both the sweatshirt), and the brand words."""

    meanings: Mapping[str, str]
    words: tuple[str, ...]
    brand_words: frozenset[str]
    also_known: frozenset[str]


def read_misspellings(
    text: str, *, brands: Sequence[str], also_known: frozenset[str] = frozenset()
) -> tuple[str, tuple[Correction, ...]]:
    """`text` (normalised) with its misspelt shop words spelled right, and what was corrected.

    `brands` are the stock's brands as compared (`query.brand_key`: "levis", "the north face"); `also_known`
    are more words never to correct (the reader's stopwords and aliases)."""
    vocabulary = _vocabulary(tuple(brands), also_known)
    corrections: list[Correction] = []

    def replace(match: "re.Match[str]") -> str:
        correction = _correct(match.group(0), vocabulary)
        if correction is None:
            return match.group(0)
        corrections.append(correction)
        return correction.read

    return WORD.sub(replace, text), tuple(corrections)


def understood(corrections: Iterable[Correction]) -> str:
    """What the reply says it read: "I read 'jakcet'", "I read 'blakc' and 'tshrits'" ("" for none)."""
    typed = [f"'{correction.typed}'" for correction in corrections if correction.misspelt]
    if not typed:
        return ""
    listed = typed[0] if len(typed) == 1 else ", ".join(typed[:-1]) + " and " + typed[-1]
    return "I read " + listed


def _correct(token: str, vocabulary: _Vocabulary) -> Correction | None:
    if token in vocabulary.meanings:
        return None
    if token.endswith("s") and token[:-1] in vocabulary.brand_words:
        return Correction(typed=token, read=token[:-1], misspelt=False)
    if token in vocabulary.also_known or token in SHORTHAND or is_english(token):
        return None
    found = process.extract(
        token,
        vocabulary.words,
        scorer=OSA.distance,
        score_cutoff=_most_typos(token),
        limit=None,
    )
    if not found:
        return None
    if len({vocabulary.meanings[word] for word, _, _ in found}) != 1:
        return _clearly_nearest(token, [word for word, _, _ in found], vocabulary)
    nearest = min(found, key=lambda candidate: (candidate[1], candidate[2]))
    return Correction(typed=token, read=nearest[0])


def _clearly_nearest(token: str, words: list[str], vocabulary: _Vocabulary) -> Correction | None:
    """Of shop words with different meanings equally few typos away, the one clearly nearest by letters kept in
    order ("gren": "green" has every letter, "grey" one wrong), else None: a guess would be a coin toss."""
    ranked = sorted(words, key=lambda word: Indel.normalized_similarity(token, word), reverse=True)
    best, second = (Indel.normalized_similarity(token, word) for word in ranked[:2])
    if best - second < CLEAR_MARGIN or vocabulary.meanings[ranked[0]] == vocabulary.meanings[ranked[1]]:
        return None
    return Correction(typed=token, read=ranked[0])


def _most_typos(token: str) -> int:
    """One typo in a word of up to seven letters, two in a longer one."""
    return 1 if len(token) <= 7 else 2


def is_english(word: str) -> bool:
    """Is `word` in the English word list (loaded once per process, on first use)."""
    return word in _english()


@cache
def _english() -> Mapping[str, int]:
    # Imported here: the word list takes a third of a second to load, and most processes never read a DM.
    from spellchecker import SpellChecker

    words: Mapping[str, int] = SpellChecker(language="en").word_frequency.dictionary
    return words


@lru_cache(maxsize=16)
def _vocabulary(brands: tuple[str, ...], also_known: frozenset[str]) -> _Vocabulary:
    meanings: dict[str, str] = {}
    for words, kind in (
        (FAMILY_FOR_WORD, "garment"),
        ({word: word for word in SEVERAL_CATEGORIES_WORDS} | {DENIM_WORD: DENIM_WORD}, "garment"),
        (SIZE_WORDS, "size"),
        (COLOUR_FOR_WORD, "colour"),
        (MEASUREMENT_TARGETS, "measurement"),
    ):
        meanings.update({word: f"{kind}:{meaning}" for word, meaning in words.items() if _one_word(word)})
    brand_words = frozenset(word for brand in brands for word in brand.split() if _one_word(word))
    meanings.update({word: f"brand:{word}" for word in brand_words if word not in meanings})
    return _Vocabulary(meanings=meanings, words=tuple(meanings), brand_words=brand_words, also_known=also_known)


def _one_word(word: str) -> bool:
    return len(word) >= SHORTEST and word.isalpha()
