"""What the shop tells customers unprompted or after the fact: hold reminders, a waitlist's turn, a drop's
result. Each state change and the message it causes are queued in one transaction, so a retried job never
tells anyone twice (and a drop's answers are the replies to the claims, one per inbound message)."""

import logging
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from assistant import wording
from assistant.formatting import item_line, money, when
from assistant.lost_claims import piece_facts, propose_to_losers
from conversations import services as conversation_services
from conversations.models import Customer, Message
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Item
from live import selectors as live_selectors
from propositions.services import record_lost_claims

logger = logging.getLogger(__name__)


def _line(item: Item) -> str:
    return item_line(piece_facts(item))


def _tell(customer: Customer, text: str, *, in_reply_to: Message | None = None) -> None:
    conversation_services.queue_outbound_message(
        customer=customer, text=text, role=Message.Role.ASSISTANT, in_reply_to=in_reply_to
    )


def remind_hold(*, item_id: int, held_until: datetime) -> bool:
    """Send the hold's one reminder if it is still due (see `inventory.services.claim_hold_reminder`)."""
    with transaction.atomic():
        item = inventory_services.claim_hold_reminder(item_id=item_id, held_until=held_until)
        if item is None:
            return False
        if item.held_by is None:
            raise ValueError(f"{item.sku} had its hold reminder claimed but is held by no one")
        _tell(item.held_by, wording.hold_reminder(_line(item), when(item.hold_runs_out_at())))
    logger.info("hold reminder queued", extra={"sku": item.sku, "customer": item.held_by_id})
    return True


def offer_to_waitlist(*, item_id: int) -> bool:
    """A piece came free: hold it for (or tell) the first reachable customer in line, and tell them."""
    with transaction.atomic():
        turn = inventory_services.pass_to_waitlist(item_id=item_id)
        if turn is None:
            return False
        if turn.held:
            _tell(turn.customer, wording.waitlist_held_for_you(_line(turn.item), when(turn.item.hold_runs_out_at())))
        else:
            _tell(turn.customer, wording.waitlist_free_again(_line(turn.item)))
    return True


def offer_waiting_pieces(*, customer_id: str) -> int:
    """The customer wrote again: each piece they wait for that is free now gets its waitlist turn (held for
    them or they are told), as if it had just come free. How many customers were told."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return 0
    told = 0
    for item_id in inventory_selectors.waitlisted_items_free_now(customer=customer):
        with transaction.atomic():
            turn = inventory_services.tell_waiting_customer(item_id=item_id, customer=customer)
            if turn is None:
                continue
            if turn.held:
                _tell(
                    turn.customer, wording.waitlist_held_for_you(_line(turn.item), when(turn.item.hold_runs_out_at()))
                )
            else:
                _tell(turn.customer, wording.waitlist_free_again(_line(turn.item)))
            told += 1
    return told


def settle_drop_item(*, drop_item_id: int, received_at: Mapping[str, datetime]) -> bool:
    """Give a dropped piece to the earliest claim and answer every claim: the winner that it is theirs,
    everyone else their place in line and up to 3 pieces like it (`assistant.lost_claims`). The answers are the
    replies to the claiming messages."""
    now = timezone.now()
    with transaction.atomic():
        settlement = inventory_services.settle_drop_item(drop_item_id=drop_item_id, received_at=received_at, now=now)
        if settlement is None:
            return False
        line = _line(settlement.item)
        live = live_selectors.is_live_piece(drop_item_id=drop_item_id)
        proposed = propose_to_losers(item=settlement.item, outcomes=settlement.outcomes, now=now)
        replies = []
        for outcome in settlement.outcomes:
            claim = outcome.claim
            if outcome.won and live:
                text = wording.live_won(settlement.item.name, money(settlement.item.price))
            elif outcome.won:
                text = wording.drop_won(line, when(settlement.item.hold_runs_out_at()))
            elif claim.outcome == claim.Outcome.EARLY:
                text = wording.drop_too_early(line, outcome.place or 1) + proposed.get(claim.message_id, "")
            else:
                text = wording.drop_lost(line, outcome.place or 1) + proposed.get(claim.message_id, "")
            replies.append((claim.message, text))
        conversation_services.queue_replies(replies=replies)
        lost = [
            (outcome.claim.customer_id, outcome.claim.message_id) for outcome in settlement.outcomes if not outcome.won
        ]
        record_lost_claims(item=settlement.item, claims=lost)
    return True
