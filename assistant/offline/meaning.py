"""Which intent a message means, read from the intent table's own data: the intents whose test applies to the turn,
in the table's order of play, except that an intent whose examples are clearly nearer to the message than the first
one's goes before it (never before one that applies because of the conversation's state).

Each intent's test says whether it *can* be meant ("hold" appears, a counter-offer is open); its examples say how
customers write it when they mean it. A message like "is the levi's on hold rn" passes the tests of several intents;
the one whose examples it reads most like is the one meant, and the table's order only breaks near-ties. Nearness is
rapidfuzz's token sort ratio (0 to 100) between the message and an example, both read as the turn reads text; only
the intents with an example at least `NEAR` are weighed, so a message like none of the examples costs one pass over
them and nothing more.
"""

from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Protocol, TypeVar

from rapidfuzz import fuzz, process

from assistant import language
from assistant.language import normalise
from assistant.language.query import SKU_PATTERN
from assistant.offline.context import Turn

# How near (0 to 100) an example must be to weigh at all, and how much nearer than the first applying intent's
# nearest example a later intent's must be to go before it.
NEAR = 75
MARGIN = 25


class Meant(Protocol):
    """What this module reads of an intent (`assistant.offline.Intent`)."""

    @property
    def examples(self) -> tuple[str, ...]: ...

    @property
    def needs(self) -> str: ...

    @property
    def applies(self) -> Callable[[Turn], bool]: ...


IntentT = TypeVar("IntentT", bound=Meant)


def in_order_of_meaning(intents: Sequence[IntentT], turn: Turn) -> Iterator[IntentT]:
    """The intents whose test applies to `turn`, the one meant first: table order, but an intent whose nearest
    example is `MARGIN` nearer to the message than that of the intent it would follow goes before it."""
    text = as_compared(turn.text)
    nearness = closeness(tuple(intents), text)
    applies: dict[int, bool] = {}

    def applying(index: int) -> bool:
        if index not in applies:
            applies[index] = intents[index].applies(turn)
        return applies[index]

    given: set[int] = set()
    for index in range(len(intents)):
        if index in given or not applying(index):
            continue
        # An intent that applies because of the conversation's state (a live drop, a counter-offer just made) is
        # meant as it stands: the state is more telling than any wording.
        mine = 100.0 if intents[index].needs else nearness.get(index) or _nearest(intents[index], text)
        for later, score in sorted(nearness.items(), key=lambda pair: (-pair[1], pair[0])):
            if later > index and later not in given and score >= mine + MARGIN and applying(later):
                given.add(later)
                yield intents[later]
        given.add(index)
        yield intents[index]


def closeness(intents: tuple[Meant, ...], text: str) -> dict[int, float]:
    """For each intent with an example at least `NEAR` to `text`: its nearest example's score, by the intent's
    index in `intents`."""
    examples, owners = _examples(intents)
    found = process.extract(text, examples, scorer=fuzz.token_sort_ratio, score_cutoff=NEAR, limit=None)
    best: dict[int, float] = {}
    for _, score, position in found:
        owner = owners[position]
        best[owner] = max(best.get(owner, 0.0), score)
    return best


def _nearest(intent: Meant, text: str) -> float:
    """How near `text` is to the intent's nearest example, however far (0 without examples)."""
    examples = [_example(example) for example in intent.examples]
    found = process.extractOne(text, examples, scorer=fuzz.token_sort_ratio) if examples else None
    return float(found[1]) if found else 0.0


@cache
def _examples(intents: tuple[Meant, ...]) -> tuple[list[str], list[int]]:
    """Every example of the table read as a turn reads a message, and the index of the intent it belongs to."""
    examples: list[str] = []
    owners: list[int] = []
    for index, intent in enumerate(intents):
        for example in intent.examples:
            examples.append(_example(example))
            owners.append(index)
    return examples, owners


def as_compared(text: str) -> str:
    """A message as compared with the examples: its SKUs as one word ("i'll take VNT-NIKE-WB-001" reads like "i'll
    take SKU", not like the SKU alone), so codes weigh nothing."""
    return SKU_PATTERN.sub(lambda match: "sku" if language.find_skus(match.group(0)) else match.group(0), text)


@cache
def _example(example: str) -> str:
    return as_compared(language.without_greeting(language.spelled_out(normalise(example)))[1])
