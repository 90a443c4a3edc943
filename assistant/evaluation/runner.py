"""Playing the evaluation's cases: each answered exactly as production answers a DM, then judged.

A case runs in its own transaction, rolled back when it is judged, so every case starts from the catalogue alone
and no case sees another's holds, orders or messages. Within it, the customer's messages are recorded as TikTok's
are (`record_inbound_message`), answered by `assistant.services.answer` (several bubbles of one turn answered
together, as when they pile up), and the reply is queued in the outbox as the pipeline queues it, so the
assistant's memory ("the last listing shown", "the previous turn") reads real replies.

Nothing leaves the process: the outbox sends, owner notifications and hold timers are all asked for from
`transaction.on_commit`, which never fires on a rollback; and while cases run, the broker refuses every job
(`jobs_held_back`), so even work asked for at once never reaches Redis. The offline assistant answers (no OpenAI
key) under the shop rules the cases were written for (`EVALUATION_SETTINGS`).
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import dramatiq
from django.db import transaction
from django.test import override_settings
from dramatiq.middleware import Middleware, MiddlewareError

from assistant.evaluation.cases import Case, Given
from assistant.evaluation.judge import describe, judge, snapshot
from assistant.services import answer
from conversations.models import Customer, Message
from conversations.services import get_or_create_customer, queue_outbound_message, record_inbound_message
from inventory.models import Item
from inventory.selectors import forget_stock_facts
from inventory.services import hide_item, reserve_item
from orders.services import mark_paid, mark_shipped, place_order

# The shop the cases' expectations were written for, whatever this one's settings say: the offline assistant, holds
# of 24 hours (3 at a time), offers accepted from 80 % of the price, PayPal by the shop's instructions (no payment
# links, no other ways to pay), and the shop's words about shipping and returns as they are by default.
EVALUATION_SETTINGS: dict[str, Any] = {
    "OPENAI_API_KEY": "",
    "HOLD_HOURS": 24,
    "MAX_HOLDS_PER_CUSTOMER": 3,
    "OFFER_FLOOR_PERCENT": 80,
    "WAITLIST_AUTO_HOLD": True,
    "AI_HISTORY_MESSAGES": 10,
    "PAYMENT_PROVIDER": "manual",
    "PAYMENT_METHODS": "",
    "PAYMENT_INSTRUCTIONS": (
        "To pay, send the total by PayPal (friends and family) to pay@philiathrifts.example with your order number "
        "in the note. We ship as soon as it arrives."
    ),
    "SHIPPING_INSTRUCTIONS": "We ship tracked within 2 working days of payment and send you the tracking number here.",
    "RETURNS_POLICY": (
        "All sales are final: every piece is vintage and listed with its measurements and flaws, so ask for "
        "anything you'd like to know before you buy."
    ),
    "SHOP_NAME": "Philia Thrifts",
    "SHOP_GREETING": (
        "Hi, welcome to Philia Thrifts! Every piece is one of a kind. Tell me what you're after (a brand, a size, "
        "a budget) or send me a SKU."
    ),
}
CUSTOMER = ("eval-buyer", "eval_buyer")
SOMEONE_ELSE = ("eval-someone-else", "someone_else")


@dataclass(frozen=True)
class Outcome:
    case: Case
    failures: tuple[str, ...]
    reply: str | None
    happened: str = ""
    held_back_jobs: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


class JobHeldBack(MiddlewareError):
    """A job the evaluation kept from the broker."""


class HoldJobsBack(Middleware):
    """Refuses every job while cases run, and notes its actor's name."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        self.names.append(message.actor_name)
        raise JobHeldBack(message.actor_name)


def _not_held_back(record: logging.LogRecord) -> bool:
    """`philia.jobs` logs a job the broker did not take; one held back on purpose is not news."""
    return not (record.exc_info and isinstance(record.exc_info[1], JobHeldBack))


@contextmanager
def jobs_held_back() -> Iterator[HoldJobsBack]:
    """While the block runs, the broker takes no job (each one asked for is noted in the guard's `names`)."""
    broker = dramatiq.get_broker()
    guard = HoldJobsBack()
    jobs_logger = logging.getLogger("philia.jobs")
    broker.middleware.insert(0, guard)
    jobs_logger.addFilter(_not_held_back)
    try:
        yield guard
    finally:
        broker.middleware.remove(guard)
        jobs_logger.removeFilter(_not_held_back)


def run_cases(cases: Iterable[Case], *, each: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Play and judge each case against the stock in the database (the evaluation's catalogue, loaded by the
    caller), each in a transaction rolled back afterwards. `each` is called with every outcome as it comes."""
    catalogue = {sku.upper() for sku in Item.objects.values_list("sku", flat=True)}
    outcomes = []
    with override_settings(**EVALUATION_SETTINGS), jobs_held_back() as guard:
        for case in cases:
            asked_before = len(guard.names)
            outcome = run_case(case, catalogue=catalogue)
            held_back = tuple(guard.names[asked_before:])
            if held_back:
                outcome = Outcome(outcome.case, outcome.failures, outcome.reply, outcome.happened, held_back)
            outcomes.append(outcome)
            if each is not None:
                each(outcome)
    return outcomes


def run_case(case: Case, *, catalogue: set[str]) -> Outcome:
    """One case in a transaction that is always rolled back. A case that raises is failed, with what it raised."""
    forget_stock_facts()
    try:
        with transaction.atomic():
            try:
                return _play(case, catalogue=catalogue)
            finally:
                transaction.set_rollback(True)
    except Exception as error:  # noqa: BLE001 - a case that breaks is a failed case; the others still run
        return Outcome(case, failures=(f"raised {type(error).__name__}: {error}",), reply=None)
    finally:
        forget_stock_facts()  # what the case hid or sold is not the stock's any more


def _play(case: Case, *, catalogue: set[str]) -> Outcome:
    customer = get_or_create_customer(tiktok_user_id=CUSTOMER[0], username=CUSTOMER[1])
    someone_else = get_or_create_customer(tiktok_user_id=SOMEONE_ELSE[0], username=SOMEONE_ELSE[1])
    try:
        set_up(case.given, customer=customer, someone_else=someone_else)
    except Exception as error:  # noqa: BLE001 - the case's data asks for a state the shop refuses
        return Outcome(case, failures=(f"could not set up 'given': {type(error).__name__}: {error}",), reply=None)
    for turn in case.given.turns:
        say(customer, [turn])
    before = snapshot(customer)
    reply = say(customer, list(case.messages))
    after = snapshot(customer)
    failures = judge(case.expect, before=before, after=after, reply=reply, catalogue=catalogue)
    return Outcome(case, failures=tuple(failures), reply=reply, happened=describe(after, before))


def set_up(given: Given, *, customer: Customer, someone_else: Customer) -> None:
    """The state a case starts from, through the shop's own services (see `Given` for the order)."""
    for sku in given.hidden:
        hide_item(sku=sku)
    if given.sold:
        for sku in given.sold:
            reserve_item(sku=sku, customer=someone_else)
        place_order(customer=someone_else)
    for wanted in given.orders:
        for sku in wanted.skus:
            reserve_item(sku=sku, customer=customer)
        order = place_order(customer=customer)
        if wanted.status in ("paid", "shipped"):
            order = mark_paid(order=order)
        if wanted.status == "shipped":
            mark_shipped(order=order, tracking_number="EVAL0000000001")
    for sku in given.held_by_others:
        reserve_item(sku=sku, customer=someone_else)
    for sku in given.holds:
        reserve_item(sku=sku, customer=customer)


def say(customer: Customer, texts: list[str]) -> str | None:
    """One turn: the customer's bubbles recorded as TikTok's are, answered together, the answer queued as the
    pipeline queues it. Returns the reply's text (None: the shop stayed silent)."""
    bubbles = [
        record_inbound_message(
            tiktok_user_id=customer.pk,
            username=customer.username,
            conversation_id=f"conversation-{customer.pk}",
            tiktok_message_id=f"eval-{uuid4().hex}",
            content_type="text",
            text=text,
            sent_at=None,
        )[0]
        for text in texts
    ]
    customer.refresh_from_db()
    reply = answer(customer=customer, message=bubbles[-1], earlier=bubbles[:-1])
    if reply is None or not reply.text.strip():
        return None
    queue_outbound_message(customer=customer, text=reply.text, role=Message.Role.ASSISTANT, in_reply_to=bubbles[-1])
    return reply.text
