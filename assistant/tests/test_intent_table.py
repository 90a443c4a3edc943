"""The offline assistant's intent table is data a developer can read: every intent has examples as customers write
them, and every example of an intent that needs no state is read as that intent on a new conversation; among the
intents whose test applies, the one whose examples the message reads most like is meant (`offline.meaning`)."""

from dataclasses import dataclass

import pytest

from assistant.memory import remember
from assistant.offline import INTENTS
from assistant.offline.context import Turn
from assistant.offline.meaning import in_order_of_meaning
from assistant.tests.assistant_support import inbound
from assistant.tools import Toolbox

STATELESS = [(intent.name, example) for intent in INTENTS if not intent.needs for example in intent.examples]


def test_every_intent_has_examples_and_no_two_share_a_name():
    assert [intent.name for intent in INTENTS if not intent.examples] == []
    assert len({intent.name for intent in INTENTS}) == len(INTENTS)


@pytest.mark.parametrize(("name", "example"), STATELESS, ids=[example for _, example in STATELESS])
def test_each_example_is_read_as_its_intent(stock, anna, name, example):
    message = inbound(anna, example)
    turn = Turn(remember(customer=anna, message=message), Toolbox(customer=anna, message=message))

    assert next(in_order_of_meaning(INTENTS, turn)).name == name


@dataclass(frozen=True)
class Sketch:
    """An intent of a made-up table: a test that applies or not, and examples."""

    name: str
    examples: tuple[str, ...]
    test: bool = True
    needs: str = ""

    def applies(self, turn: object) -> bool:
        return self.test


@dataclass(frozen=True)
class Said:
    text: str


def meant(table: tuple[Sketch, ...], text: str) -> list[str]:
    return [intent.name for intent in in_order_of_meaning(table, Said(text))]  # type: ignore[arg-type]


TABLE = (
    Sketch("question about holds", ("what's on hold for me?", "how long do you hold things?")),
    Sketch("hold it", ("hold the carhartt", "i'll take the harley tee")),
    Sketch("never applies", ("hold the carhartt please",), test=False),
    Sketch("fallback", ()),
)


def test_the_intent_whose_examples_the_message_reads_like_goes_first():
    assert meant(TABLE, "hold the carhartt pls") == ["hold it", "question about holds", "fallback"]


def test_near_ties_keep_the_tables_order():
    assert meant(TABLE, "is anything on hold")[0] == "question about holds"


def test_an_intent_whose_test_does_not_apply_is_never_meant_however_near():
    assert "never applies" not in meant(TABLE, "hold the carhartt please")


def test_an_intent_that_applies_because_of_the_state_is_never_passed_over():
    table = (Sketch("claim in a live drop", ("mine!!",), needs="a drop live now"), *TABLE)

    assert meant(table, "hold the carhartt pls")[0] == "claim in a live drop"


def test_a_message_like_no_example_is_read_in_the_tables_order():
    assert meant(TABLE, "zzz") == ["question about holds", "hold it", "fallback"]
