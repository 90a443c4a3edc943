"""Offers on an item's price, decided by the owner's rules (never by the assistant).

An offer at or above the item's floor (`Item.floor_price`) is accepted at once and the piece is held for the
customer at that price; the order placed from that hold uses it. Below the floor the shop counters once at
the floor; a second lowball on the same piece is declined. Offers not accepted expire after OFFER_HOURS.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from conversations.models import Customer
from inventory import services as inventory_services
from inventory.exceptions import ItemNotDroppedYet
from inventory.models import Item
from inventory.services import lock_item_open_to
from orders import notices
from orders.models import Offer
from philia.db import STAND_IN_TIME, CompiledQuery, locking_transaction
from philia.errors import DomainError

logger = logging.getLogger(__name__)

MAX_OFFER = Decimal("100000")
CENT = Decimal("0.01")


class InvalidOffer(DomainError):
    status_code = 400

    def __init__(self, amount: object, message: str = "") -> None:
        super().__init__(message or f"{amount} is not an amount that can be offered.")
        self.amount = amount


class InvalidCounterOffer(InvalidOffer):
    """The owner's counter-offer is not an amount between nothing and the item's price."""

    def __init__(self, amount: object, *, price: Decimal) -> None:
        super().__init__(
            amount, f"A counter-offer must be more than $0 and less than the price, ${price}: {amount} is not."
        )
        self.price = price


class NoCounterOffer(DomainError):
    status_code = 404

    def __init__(self, sku: str) -> None:
        super().__init__(f"There is no counter-offer on {sku} waiting for you.")
        self.sku = sku


class OfferNotPending(DomainError):
    status_code = 409

    def __init__(self, offer: Offer) -> None:
        super().__init__(f"This offer is {offer.get_status_display().lower()}, not waiting for a decision.")
        self.offer = offer


def _amount(amount: object) -> Decimal:
    try:
        value = Decimal(str(amount)).quantize(CENT)
    except (InvalidOperation, ValueError) as error:
        raise InvalidOffer(amount) from error
    if not value.is_finite() or value <= 0 or value >= MAX_OFFER:
        raise InvalidOffer(amount)
    return value


def _expires_at(now: datetime) -> datetime:
    return now + timedelta(hours=settings.OFFER_HOURS)


def open_offers(*, now: datetime | None = None) -> QuerySet[Offer]:
    """Offers still waiting on someone (pending for the owner, countered for the customer) and not run out."""
    now = now or timezone.now()
    return Offer.objects.filter(status__in=[Offer.Status.PENDING, Offer.Status.COUNTERED]).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _lock_open_item(*, sku: str, customer: Customer, now: datetime) -> Item:
    # The customer row first (as every hold does), then the item row.
    Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
    item = lock_item_open_to(sku=sku, customer=customer, now=now)
    if item.drops_at is not None and item.drops_at > now:
        raise ItemNotDroppedYet(item.sku, item.drops_at)
    return item


def _accept(*, offer: Offer, price: Decimal, now: datetime) -> Offer:
    """Hold the piece for the offer's customer and record the price agreed on that hold (caller's transaction)."""
    item = inventory_services.reserve_item(sku=offer.item.sku, customer=offer.customer, now=now)
    offer.status = Offer.Status.ACCEPTED
    offer.agreed_price = price
    offer.hold_since = item.held_since
    offer.decided_at = now
    offer.expires_at = None
    offer.item = item
    offer.save(update_fields=["status", "agreed_price", "hold_since", "decided_at", "expires_at"])
    return offer


def record_offer(
    *, customer: Customer, sku: str, amount: Decimal | int | float | str, now: datetime | None = None
) -> Offer:
    """Decide the customer's offer on an item by the owner's rules; returns the offer, decided.

    At or above the floor: accepted and the piece held for them at that price. Below it: countered at the
    floor, or declined when the shop has already countered this customer on this piece. Locks the customer
    row, then the item row. Raises `ItemNotFound`, `ItemUnavailable` (sold, hidden, or held by someone else),
    `ItemNotDroppedYet` (in an upcoming drop), `HoldLimitReached` or `InvalidOffer`, and then changes nothing.
    """
    value = _amount(amount)
    with locking_transaction():
        now = now or timezone.now()
        item = _lock_open_item(sku=sku, customer=customer, now=now)
        floor = item.floor_price
        # Any older offer still open on this piece gives way to this one.
        earlier = Offer.objects.filter(customer=customer, item=item)
        already_countered = earlier.filter(counter_amount__isnull=False).exists()
        # Meeting the shop's counter (the owner may counter below the floor) is saying yes to it.
        counter = (
            open_offers(now=now)
            .filter(customer=customer, item=item, status=Offer.Status.COUNTERED, counter_amount__lte=value)
            .exists()
        )
        open_offers(now=now).filter(customer=customer, item=item).update(status=Offer.Status.DECLINED, decided_at=now)
        offer = Offer.objects.create(customer=customer, item=item, amount=value, expires_at=_expires_at(now))
        if value >= floor or counter:
            _accept(offer=offer, price=value, now=now)
        elif already_countered or floor >= item.price:
            offer.status, offer.decided_at, offer.expires_at = Offer.Status.DECLINED, now, None
            offer.save(update_fields=["status", "decided_at", "expires_at"])
        else:
            offer.status, offer.counter_amount, offer.decided_at = Offer.Status.COUNTERED, floor, now
            offer.save(update_fields=["status", "counter_amount", "decided_at"])
    logger.info(
        "offer decided",
        extra={
            "offer": offer.pk,
            "sku": item.sku,
            "customer": customer.pk,
            "amount": str(value),
            "status": offer.status,
        },
    )
    return offer


def accept_counter(*, customer: Customer, sku: str, now: datetime | None = None) -> Offer:
    """The customer says yes to the shop's counter-offer on `sku`: the piece is held for them at that price.

    Raises `NoCounterOffer` (none, or it ran out), `ItemUnavailable`, `ItemNotDroppedYet` or `HoldLimitReached`.
    """
    with locking_transaction():
        now = now or timezone.now()
        item = _lock_open_item(sku=sku, customer=customer, now=now)
        offer = (
            open_offers(now=now)
            .filter(customer=customer, item=item, status=Offer.Status.COUNTERED)
            .select_for_update(of=("self",))
            .first()
        )
        if offer is None:
            raise NoCounterOffer(item.sku)
        if offer.counter_amount is None:
            raise ValueError(f"offer {offer.pk} is countered without a counter amount")
        _accept(offer=offer, price=offer.counter_amount, now=now)
    logger.info("counter-offer accepted", extra={"offer": offer.pk, "sku": item.sku, "customer": customer.pk})
    return offer


def countered_offers(*, customer: Customer, now: datetime | None = None) -> QuerySet[Offer]:
    """This customer's counter-offers still waiting for their answer, newest first."""
    return open_offers(now=now).filter(customer=customer, status=Offer.Status.COUNTERED).select_related("item")


def agreed_prices(*, customer: Customer, items: list[Item]) -> dict[int, Decimal]:
    """Item id → the price agreed for this customer on the item's current hold (accepted offers only)."""
    prices: dict[int, Decimal] = {}
    for item in items:
        if item.held_by_id != customer.pk or item.held_since is None:
            continue
        found = _ACCEPTED_ON_HOLD.run(customer_id=customer.pk, item_id=item.pk, hold_since=item.held_since)
        if found and found[0].agreed_price is not None:
            prices[item.pk] = found[0].agreed_price
    return prices


# The offer accepted on a hold, read for every piece a customer holds that a turn describes: compiled once.
_ACCEPTED_ON_HOLD = CompiledQuery(
    lambda customer_id, item_id, hold_since: Offer.objects.filter(
        customer_id=customer_id, item_id=item_id, status=Offer.Status.ACCEPTED, hold_since=hold_since
    ).order_by("-decided_at", "-pk")[:1],
    customer_id="\x00customer",
    item_id=-1901,
    hold_since=STAND_IN_TIME,
)


def held_at_offer_prices(*, customer: Customer, now: datetime | None = None) -> dict[str, Decimal]:
    """SKU → the price agreed by offer for the pieces this customer holds now: what they pay for it (the order
    placed from the hold uses it), instead of the listed price."""
    now = now or timezone.now()
    held = {item.pk: item for item in Item.objects.held(now=now).filter(held_by=customer)}
    return {
        held[item_id].sku.upper(): price
        for item_id, price in agreed_prices(customer=customer, items=list(held.values())).items()
    }


def standing_offer_prices(*, customer: Customer, now: datetime | None = None) -> dict[str, set[Decimal]]:
    """SKU → prices these rules produced for this customer that still stand: accepted on the current hold, or
    a counter-offer still open. Nobody else's: another customer is only ever quoted the listed price."""
    now = now or timezone.now()
    prices: dict[str, set[Decimal]] = {}
    for offer in countered_offers(customer=customer, now=now):
        if offer.counter_amount is not None:
            prices.setdefault(offer.item.sku.upper(), set()).add(offer.counter_amount)
    for sku, price in held_at_offer_prices(customer=customer, now=now).items():
        prices.setdefault(sku, set()).add(price)
    return prices


def _lock_pending(offer: Offer) -> Offer:
    locked = Offer.objects.select_for_update(of=("self",)).select_related("item", "customer").get(pk=offer.pk)
    if locked.status != Offer.Status.PENDING or (locked.expires_at is not None and locked.expires_at <= timezone.now()):
        raise OfferNotPending(locked)
    return locked


def owner_accept_offer(*, offer: Offer, now: datetime | None = None) -> Offer:
    """The owner accepts a pending offer: the piece is held for the customer at the offered price; they are told."""
    with locking_transaction():
        now = now or timezone.now()
        Customer.objects.select_for_update(no_key=True).filter(pk=offer.customer_id).first()
        offer = _lock_pending(offer)
        _accept(offer=offer, price=offer.amount, now=now)
        notices.tell_customer(
            customer=offer.customer, text=notices.offer_accepted(offer.item.sku, f"${offer.agreed_price}")
        )
    logger.info("offer accepted by the owner", extra={"offer": offer.pk})
    return offer


def owner_reject_offer(*, offer: Offer, now: datetime | None = None) -> Offer:
    """The owner declines a pending offer; the customer is told the listed price stands."""
    with locking_transaction():
        offer = _lock_pending(offer)
        offer.status, offer.decided_at, offer.expires_at = Offer.Status.DECLINED, now or timezone.now(), None
        offer.save(update_fields=["status", "decided_at", "expires_at"])
        notices.tell_customer(
            customer=offer.customer,
            text=notices.offer_declined(offer.item.sku, f"${offer.amount}", f"${offer.item.price}"),
        )
    logger.info("offer declined by the owner", extra={"offer": offer.pk})
    return offer


def owner_counter_offer(*, offer: Offer, amount: Decimal | int | float | str, now: datetime | None = None) -> Offer:
    """The owner counters a pending offer at `amount` (more than 0, below the price); the customer is told and may
    say yes. Locks the offer row. Raises `OfferNotPending` or `InvalidCounterOffer`, and then changes nothing."""
    with locking_transaction():
        now = now or timezone.now()
        offer = _lock_pending(offer)
        try:
            value = _amount(amount)
        except InvalidOffer:
            raise InvalidCounterOffer(amount, price=offer.item.price) from None
        if value >= offer.item.price:
            raise InvalidCounterOffer(amount, price=offer.item.price)
        offer.status, offer.counter_amount = Offer.Status.COUNTERED, value
        offer.decided_at, offer.expires_at = now, _expires_at(now)
        offer.save(update_fields=["status", "counter_amount", "decided_at", "expires_at"])
        notices.tell_customer(
            customer=offer.customer, text=notices.offer_countered(offer.item.sku, f"${offer.amount}", f"${value}")
        )
    logger.info("offer countered by the owner", extra={"offer": offer.pk, "amount": str(value)})
    return offer


def expire_offers(*, now: datetime | None = None) -> int:
    """Mark pending and countered offers past their time as expired; returns how many."""
    now = now or timezone.now()
    count = Offer.objects.filter(status__in=[Offer.Status.PENDING, Offer.Status.COUNTERED], expires_at__lte=now).update(
        status=Offer.Status.EXPIRED, decided_at=now
    )
    if count:
        logger.info("offers expired", extra={"count": count})
    return count
