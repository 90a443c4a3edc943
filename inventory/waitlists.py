"""Waitlists: customers in line for a piece someone else has, and the line's turn when it comes free."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone

from conversations.models import Customer
from conversations.selectors import can_be_written_to
from inventory.exceptions import HoldLimitReached, ItemNotFound
from inventory.holds import reserve_item
from inventory.models import Item, WaitlistEntry
from inventory.selectors import unsettled_drop_item, waitlist_line
from philia.errors import DomainError

logger = logging.getLogger(__name__)


def join_waitlist(
    *, sku: str, customer: Customer, queued_at: datetime | None = None, item: Item | None = None
) -> tuple[WaitlistEntry, bool]:
    """Put the customer in line for a piece (once: asking again keeps their place). Returns the entry and
    whether it is new. One INSERT guarded by the one-place-per-customer constraint (get_or_create reads the
    twin request's row when that one won the race). `item`: the piece, when the caller has just read it."""
    if item is None:
        item = Item.objects.filter(sku__iexact=sku.strip()).first()
        if item is None:
            raise ItemNotFound(sku)
    entry, created = WaitlistEntry.objects.get_or_create(
        item=item, customer=customer, defaults={"queued_at": queued_at or timezone.now()}
    )
    entry.item = item
    if created:
        logger.info("customer joined a waitlist", extra={"sku": item.sku, "customer": customer.pk})
    return entry, created


def leave_waitlist(*, customer: Customer, skus: Iterable[str] | None = None) -> list[str]:
    """Take the customer out of the line for these pieces (every line with `skus=None`); returns the SKUs left."""
    entries = WaitlistEntry.objects.filter(customer=customer).select_related("item")
    if skus is not None:
        wanted = [sku.strip().upper() for sku in skus]
        entries = entries.alias(sku_upper=Upper("item__sku")).filter(sku_upper__in=wanted)
    left = sorted(entry.item.sku for entry in entries)
    if left:
        WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in entries]).delete()
        logger.info("customer left waitlists", extra={"customer": customer.pk, "skus": left})
    return left


@dataclass(frozen=True)
class WaitlistTurn:
    """A piece came free for the first reachable customer in its line: `held` for them (until
    `item.held_until`), or only to be told it is available (WAITLIST_AUTO_HOLD off)."""

    item: Item
    customer: Customer
    held: bool


def pass_to_waitlist(*, item_id: int, now: datetime | None = None) -> WaitlistTurn | None:
    """The piece is on sale again: the first customer in its line who can be written to now (window open,
    no STOP, bot not paused) and is under the hold limit gets it held (WAITLIST_AUTO_HOLD) or is told it is
    free. Those skipped keep their place. None when the piece is not free or nobody can take it.

    Each try is a `reserve_item` (customer row, then item row), so the rules of every hold apply. Call it in
    the transaction that tells the customer: a retried turn finds the piece held and does nothing twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        item = Item.objects.free(now=now).filter(pk=item_id).first()
        if item is None or unsettled_drop_item(item=item, now=now, claimed=True) is not None:
            return None
        for entry in waitlist_line(item_id=item_id):
            if not can_be_written_to(customer=entry.customer, now=now):
                continue
            if not settings.WAITLIST_AUTO_HOLD:
                if entry.told_available_at is not None and entry.told_available_at >= item.updated_at:
                    return None  # already told since the piece last came free
                WaitlistEntry.objects.filter(pk=entry.pk).update(told_available_at=now)
                return WaitlistTurn(item=item, customer=entry.customer, held=False)
            try:
                held = reserve_item(sku=item.sku, customer=entry.customer, now=now)
            except HoldLimitReached:
                continue
            except DomainError:
                return None  # somebody took it meanwhile, or it left the shop
            logger.info("piece held for the next in line", extra={"sku": item.sku, "customer": entry.customer_id})
            return WaitlistTurn(item=held, customer=entry.customer, held=True)
    return None


def tell_waiting_customer(*, item_id: int, customer: Customer, now: datetime | None = None) -> WaitlistTurn | None:
    """The customer wrote again and a piece they wait for is free (their window may have been closed when it
    came free, so they were skipped). With WAITLIST_AUTO_HOLD the line's turn is taken again (`pass_to_waitlist`:
    whoever is first and reachable now gets it, perhaps them); without it they are told it is free, once since
    it last came free. None when there is nothing to tell. Call it in the transaction that tells them."""
    now = now or timezone.now()
    if settings.WAITLIST_AUTO_HOLD:
        return pass_to_waitlist(item_id=item_id, now=now)
    with transaction.atomic():
        item = Item.objects.free(now=now).filter(pk=item_id).first()
        if item is None or unsettled_drop_item(item=item, now=now, claimed=True) is not None:
            return None
        entry = WaitlistEntry.objects.select_for_update().filter(item=item, customer=customer).first()
        if entry is None or (entry.told_available_at is not None and entry.told_available_at >= item.updated_at):
            return None
        if not can_be_written_to(customer=customer, now=now):
            return None
        WaitlistEntry.objects.filter(pk=entry.pk).update(told_available_at=now)
        return WaitlistTurn(item=item, customer=customer, held=False)
