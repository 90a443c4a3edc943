"""The offline assistant's intent table is data a developer can read: every intent has examples as customers write
them, and every example of an intent that needs no state is read as that intent on a new conversation."""

import pytest

from assistant.memory import remember
from assistant.offline import INTENTS
from assistant.offline.context import Turn
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

    assert next(intent.name for intent in INTENTS if intent.applies(turn)) == name
