"""Offers on an item's price. Recording one never changes a price: only the owner decides an offer."""

import logging
from decimal import Decimal, InvalidOperation

from conversations.models import Customer
from inventory.services import lock_item_open_to
from orders.models import Offer
from philia.db import locking_transaction
from philia.errors import DomainError

logger = logging.getLogger(__name__)

MAX_OFFER = Decimal("100000")


class InvalidOffer(DomainError):
    status_code = 400

    def __init__(self, amount: object) -> None:
        super().__init__(f"{amount} is not an amount that can be offered.")
        self.amount = amount


def record_offer(*, customer: Customer, sku: str, amount: Decimal | int | float | str) -> Offer:
    """Record the customer's offer on an item for the owner to decide; returns the pending offer.

    A customer has at most one pending offer per item: a new amount replaces the old one. Locks the
    item row so the offer is not recorded against an item being sold at that moment. Raises
    `ItemNotFound`, `ItemUnavailable` (sold, hidden, or held by someone else) or `InvalidOffer`.
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise InvalidOffer(amount) from error
    if not value.is_finite() or value <= 0 or value >= MAX_OFFER:
        raise InvalidOffer(amount)
    with locking_transaction():
        item = lock_item_open_to(sku=sku, customer=customer)
        offer = Offer.objects.filter(customer=customer, item=item, status=Offer.Status.PENDING).first()
        if offer is None:
            offer = Offer.objects.create(customer=customer, item=item, amount=value)
        elif offer.amount != value:
            offer.amount = value
            offer.save(update_fields=["amount"])
    logger.info(
        "offer recorded", extra={"offer": offer.pk, "sku": item.sku, "customer": customer.pk, "amount": str(value)}
    )
    return offer
