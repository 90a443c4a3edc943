"""The shop assistant: turns a customer's message into the shop's answer.

`answer()` is the one entry point the message pipeline calls, outside any transaction (it may call
OpenAI). In order:

1. STOP / START (and silence while the customer is opted out), non-text messages;
2. the deterministic fast paths, no AI: asking for a person, order status, SKU mentions;
3. with OPENAI_API_KEY and within the daily limits: the AI assistant (tool calling), whose reply is
   checked by `guard` before it is used (a turn in which it recorded a drop claim says only what else was
   done, as the offline assistant does: the claim is answered when its drop item is settled);
4. otherwise, or when the AI fails or its reply fails the checks: the offline assistant.

Everything that changes state goes through `tools.Toolbox`, bound to the customer who wrote and to
this inbound message, so a retried message never holds or orders twice.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypedDict

from django.conf import settings
from django.db import transaction

from assistant import bursts, language, wording
from assistant.formatting import fit_reply
from assistant.language import normalise
from assistant.memory import Conversation, burst_text, remember
from assistant.models import ToolCall
from assistant.offline import OfflineAssistant, summarize_actions
from assistant.tools import Toolbox
from conversations import services as conversation_services
from conversations.models import Customer, Message
from conversations.services import OutboundImage
from inventory.selectors import waitlisted_items_free_now
from philia import jobs

logger = logging.getLogger(__name__)


class _Tokens(TypedDict):
    ai_model: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Answer:
    text: str
    # Photos to send as image messages before the text ("pics?" where TikTok allows images).
    images: tuple[OutboundImage, ...] = ()
    ai_model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Which part answered: "fast_path", "offline", "ai", or "ai_fallback" (the AI failed or was overruled).
    source: str = "offline"
    # Why the AI did not answer (a limit reached, an API error, a reply that failed the checks).
    note: str = ""


# The waitlist news a customer who wrote again gets comes after the answer to what they wrote.
WAITING_PIECES_DELAY_MS = 1_000


def answer(*, customer: Customer, message: Message, earlier: Sequence[Message] = ()) -> Answer | None:
    """The reply to `message` — and to the bubbles `earlier` the customer wrote just before it, answered with it
    as one turn (`assistant.bursts`) — or None when the shop must stay silent (opted out, bot paused).

    May hold, release, order, record an offer or hand the conversation to the owner, each at most
    once per inbound message. Never call it inside a transaction: it may wait on OpenAI. A customer
    who waits for a piece that is free now (skipped while their window was closed) gets its waitlist
    turn just after the answer.
    """
    bubbles = [*earlier, message]
    read: list[Conversation] = []  # the conversations the turn read: the waitlist was read with their history
    reply = (
        _answer(customer=customer, bubbles=bubbles, read=read)
        if not earlier
        else _answer_burst(customer, bubbles, read=read)
    )
    # A customer created with this message waits for nothing yet.
    if reply is not None and customer.opted_out_at is None and not bubbles[0].first_from_customer:
        _offer_waiting_pieces(customer, waiting=next((seen.waiting for seen in read if seen.waiting is not None), None))
    return reply


def _answer_burst(customer: Customer, bubbles: list[Message], *, read: list[Conversation]) -> Answer | None:
    """Each request of the burst answered in order, the answers said in one reply. STOP ends the turn (what
    follows it is not acted on), and so does the bot falling silent (the customer asked for a person)."""
    context = remember(customer=customer, message=bubbles[0])
    read.append(context)
    replies: list[Answer] = []
    for request in bursts.requests(customer=customer, bubbles=bubbles, context=context):
        opted_out = customer.opted_out_at is not None
        # The first request's history is the burst's (both end before its first bubble): read once.
        reply = _answer(
            customer=customer, bubbles=request, context=context if request[0] is bubbles[0] else None, read=read
        )
        if reply is not None:
            replies.append(reply)
        if (customer.opted_out_at is not None and not opted_out) or customer.is_bot_paused():
            break
    return _together(replies)


def _together(replies: list[Answer]) -> Answer | None:
    """The answers of one turn's requests as one reply: each said once, in order."""
    if not replies:
        return None
    texts = list(dict.fromkeys(reply.text for reply in replies if reply.text.strip()))
    last = replies[-1]
    return Answer(
        text=fit_reply("\n\n".join(texts)),
        images=tuple(image for reply in replies for image in reply.images),
        ai_model=next((reply.ai_model for reply in replies if reply.ai_model), ""),
        prompt_tokens=sum(reply.prompt_tokens for reply in replies),
        completion_tokens=sum(reply.completion_tokens for reply in replies),
        source=last.source,
        note="; ".join(reply.note for reply in replies if reply.note),
    )


def _offer_waiting_pieces(customer: Customer, *, waiting: bool | None) -> None:
    """The customer's waitlist turn for the pieces they wait for that are free now, just after the answer. `waiting`:
    whether there are any, as the turn read it with the history (`assistant.memory.recent_messages`); None: ask."""
    if waiting if waiting is not None else waitlisted_items_free_now(customer=customer):
        jobs.enqueue(
            "offer_waiting_pieces",
            customer.pk,
            delay_ms=WAITING_PIECES_DELAY_MS,
            unless_sent="the pieces are offered when the customer writes again",
        )


def _answer(
    *, customer: Customer, bubbles: list[Message], context: Conversation | None = None, read: list[Conversation]
) -> Answer | None:
    """One request: a message, or bubbles read together (all text, then). `context`: the conversation before the
    request's first bubble, when the caller has read it. The conversation it reads is added to `read`."""
    message, earlier = bubbles[-1], bubbles[:-1]
    text = normalise(burst_text(bubbles)) if message.content_type == "text" else ""
    if customer.opted_out_at is not None:
        if language.is_start(text):
            conversation_services.opt_in(customer=customer)
            return Answer(text=wording.START, source="fast_path")
        return None
    if language.is_stop(text):
        conversation_services.opt_out(customer=customer)
        return Answer(text=wording.STOP, source="fast_path")
    if customer.is_bot_paused():
        return None
    if message.content_type != "text":
        return Answer(text=wording.TEXT_ONLY, source="fast_path")
    if language.is_start(text):
        return Answer(text=wording.START, source="fast_path")

    conversation = (
        remember(customer=customer, message=message, earlier=earlier)
        if context is None
        else replace(context, message=message, earlier=tuple(earlier))
    )
    read.append(conversation)
    toolbox = Toolbox(customer=customer, message=message, earlier=earlier)
    sizes_learned = toolbox.note_sizes(text)  # "I'm an L": what the shop proposes fits from now on
    offline = OfflineAssistant(conversation, toolbox)
    fast = offline.fast_path()
    if fast is not None:
        fast += _arrivals_asked(toolbox) if sizes_learned and fast.strip() else ""  # not alone, for a drop claim
        return Answer(text=fit_reply(fast), images=tuple(toolbox.images), source="fast_path")
    note = ""
    if settings.OPENAI_API_KEY:
        from assistant import ai

        limit = ai.within_budget(customer=customer)
        if limit is None:
            return _answer_with_ai(conversation=conversation, toolbox=toolbox, offline=offline)
        note = limit
        logger.info("AI limit reached, answering offline", extra={"customer": customer.pk, "reason": limit})
    reply = offline.reply() + (_arrivals_asked(toolbox) if sizes_learned else "")
    return Answer(text=fit_reply(reply), images=tuple(toolbox.images), source="offline", note=note)


def _arrivals_asked(toolbox: Toolbox) -> str:
    """Once ever, after the customer said a size they wear: would they like to hear of new pieces in it?"""
    return "\n\n" + wording.ASK_ABOUT_ARRIVALS if toolbox.asks_about_arrivals() else ""


def _answer_with_ai(*, conversation: Conversation, toolbox: Toolbox, offline: OfflineAssistant) -> Answer:
    from assistant import ai, guard

    usage = ai.Usage()
    runner = ai.ToolRunner(toolbox=toolbox, conversation=conversation)
    text = ""
    try:
        text = ai.converse(conversation, toolbox, runner, usage)
        problem = None
        if not runner.claimed:
            problem = guard.problem_with(
                text,
                customer=conversation.customer,
                allowed_amounts=runner.allowed_amounts,
                known_prices=runner.known_prices,
                instructions=ai.rules(),
                prices_by_name=runner.prices_by_name,
            )
    except ai.AIFailed as error:
        problem = str(error)
    except Exception:  # noqa: BLE001 - any surprise from the client or the model's output means: answer offline
        logger.exception("AI assistant failed", extra={"customer": conversation.customer.pk})
        problem = "unexpected error"
    tokens: _Tokens = {
        "ai_model": usage.model,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
    }
    if runner.claimed:
        # A drop claim is answered when its drop item is settled (the winner that it is theirs, everyone else their
        # place in line), as on the offline path: the turn tells only what else was done, and nothing if that was all.
        reply = summarize_actions(offline, toolbox.actions)
        return Answer(text=fit_reply(reply), images=tuple(toolbox.images), source="ai", note=problem or "", **tokens)
    if problem is None:
        return Answer(text=fit_reply(text), source="ai", **tokens)
    logger.warning(
        "AI answer not used, answering offline",
        extra={"customer": conversation.customer.pk, "reason": problem, "inbound_message": conversation.message.pk},
    )
    fallback = summarize_actions(offline, toolbox.actions)
    return Answer(text=fit_reply(fallback), images=tuple(toolbox.images), source="ai_fallback", note=problem, **tokens)


def clear_tool_calls() -> dict[str, int]:
    """Delete every recorded tool call (`seed --clear`); returns how many, by what people call them."""
    with transaction.atomic():
        _, deleted = ToolCall.objects.all().delete()
    return {"tool calls": deleted.get(ToolCall._meta.label, 0)}
