"""A burst of bubbles as requests: what a customer wrote in several short messages, read as one turn.

People write on a phone in bubbles ("hi" / "got nike jackets?" / "in L"). The intake hands the assistant all the
bubbles of a customer that waited together (`conversations.intake`); here they become requests, each answered in
order and the answers said in one reply:

- STOP, START and anything that is not text are requests of their own (STOP wins over what follows it: the turn
  ends there);
- with the AI assistant on, every run of text bubbles is one request: the model gets them as one user turn;
- offline, each bubble is read on its own first (the intent table's test, nothing acted on): a bubble that only
  greets joins the next one; bubbles that only search, browse or add a detail ("in L") join each other into one
  search; a bubble with a request of its own ("hold VNT-…", "where is my order?") stands alone, so a hold and a
  question in the same burst both happen, in order; a bubble that only adds to the request before it ("and the
  grateful dead one", "the tee too") joins it.
"""

from collections.abc import Sequence

from django.conf import settings

from assistant import language
from assistant.language import normalise
from assistant.memory import Conversation
from assistant.offline import INTENTS
from assistant.offline.context import Turn
from assistant.tools import Toolbox
from conversations.models import Customer, Message
from inventory.selectors import known_brands

# Intents that only greet, or only look for pieces: bubbles read as these join their neighbours into one request.
GREETING_INTENTS = frozenset({"only a greeting", "hi and nothing else we know"})
LOOSE_INTENTS = frozenset({"a search", "what's new?", "any womens?", "show me more", "not understood"})

CONTROL, GREETING, LOOSE, REQUEST = "control", "greeting", "loose", "request"


def requests(*, customer: Customer, bubbles: Sequence[Message], context: Conversation) -> list[list[Message]]:
    """The burst's bubbles grouped into requests, in order. `context` is the conversation before the burst."""
    groups: list[list[Message]] = []
    kinds: list[str] = []
    brands = None if settings.OPENAI_API_KEY else known_brands()  # read once for every bubble's test
    for bubble in bubbles:
        kind = _kind(customer=customer, bubble=bubble, context=context, brands=brands)
        if groups and kind != CONTROL and kinds[-1] == GREETING:
            groups[-1].append(bubble)  # "hi" / "hold VNT-…": the greeting is part of what follows
            kinds[-1] = kind
        elif groups and kind in (GREETING, LOOSE) and kinds[-1] == LOOSE:
            groups[-1].append(bubble)  # "got nike jackets?" / "in L": one search
        elif groups and kind != CONTROL and kinds[-1] == REQUEST and _adds_to_the_last(bubble):
            groups[-1].append(bubble)  # "hold the harley tee" / "and the grateful dead one": one hold of both
        else:
            groups.append([bubble])
            kinds.append(kind)
    return groups


def _adds_to_the_last(bubble: Message) -> bool:
    """ "and the grateful dead one", "the tee too": a bubble that only adds to the request just before it."""
    return language.adds_one_more(normalise(bubble.text or ""))


def _kind(*, customer: Customer, bubble: Message, context: Conversation, brands: list[str] | None) -> str:
    if bubble.content_type != "text":
        return CONTROL
    text = normalise(bubble.text or "")
    if language.is_stop(text) or language.is_start(text):
        return CONTROL
    if settings.OPENAI_API_KEY:
        return LOOSE
    conversation = context.for_bubble(bubble)
    turn = Turn(conversation, Toolbox(customer=customer, message=bubble), brands=brands)
    name = next(intent.name for intent in INTENTS if intent.applies(turn))
    if name in GREETING_INTENTS:
        return GREETING
    return LOOSE if name in LOOSE_INTENTS else REQUEST
