from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q

from philia.inbox import InboxEvent


class Carrier(models.TextChoices):
    USPS = "usps", "USPS"
    UPS = "ups", "UPS"
    FEDEX = "fedex", "FedEx"
    DHL = "dhl", "DHL"
    OTHER = "other", "Other"


# Where a customer follows a parcel, by carrier ("other" has no link: the number alone is sent).
TRACKING_URLS: dict[str, str] = {
    Carrier.USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    Carrier.UPS: "https://www.ups.com/track?tracknum={number}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={number}",
    Carrier.DHL: "https://www.dhl.com/en/express/tracking.html?AWB={number}",
}


class Order(models.Model):
    """A customer's purchase of the items they held. Items are sold when the order is placed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey("conversations.Customer", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    shipping = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="Shipping charged on the order, in its total (a live stream's invoice: SHIPPING_FEE, once).",
    )
    payment_reference = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    carrier = models.CharField(max_length=16, choices=Carrier.choices, blank=True)
    shipping_notice = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The DM that told the customer it shipped (its state says whether it went out).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Unpaid by then, the order is cancelled and its pieces go back on sale.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="When the customer was reminded to pay.")
    customer_says_paid_at = models.DateTimeField(
        "customer says paid", null=True, blank=True, help_text="The customer wrote that they paid: check and confirm."
    )
    needs_refund = models.BooleanField(
        default=False, help_text="Money came in that cannot be kept (a late payment for pieces sold since, …)."
    )
    payment_problem = models.CharField(
        max_length=300, blank=True, help_text="Why a payment was not accepted (amount or currency not the order's)."
    )
    stripe_session_id = models.CharField("Stripe Checkout Session", max_length=255, blank=True)
    stripe_session_url = models.URLField("Stripe payment link", max_length=1000, blank=True)
    stripe_session_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="order_total_not_negative", condition=Q(total__gte=0)),
            models.CheckConstraint(name="order_shipping_not_negative", condition=Q(shipping__gte=0)),
            models.CheckConstraint(
                name="order_shipped_has_tracking",
                condition=~Q(status="shipped") | ~Q(tracking_number=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    @property
    def tracking_url(self) -> str:
        template = TRACKING_URLS.get(self.carrier)
        return template.format(number=quote(self.tracking_number)) if template and self.tracking_number else ""


class OrderItem(models.Model):
    """One item in an order, with the price it sold for. Refers to the item by id, never by SKU."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("inventory.Item", on_delete=models.PROTECT, related_name="order_lines")
    price = models.DecimalField("price at purchase", max_digits=10, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(default=1, editable=False)
    is_active = models.BooleanField(
        default=True, help_text="False once the order is cancelled and the item is back on sale."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="order_item_quantity_is_one", condition=Q(quantity=1)),
            models.CheckConstraint(name="order_item_price_positive", condition=Q(price__gt=0)),
            # One-of-a-kind: an item can be in at most one order that still stands.
            models.UniqueConstraint(fields=["item"], condition=Q(is_active=True), name="item_sold_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item} at ${self.price}"


class Payment(models.Model):
    """Money in (a payment) or out (a refund) for an order, as recorded: by Stripe's webhook or by the owner."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    class Provider(models.TextChoices):
        MANUAL = "manual", "Manual (recorded by the owner)"
        STRIPE = "stripe", "Stripe"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PAYMENT)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    reference = models.CharField(
        max_length=255, blank=True, help_text="Stripe session / payment intent / charge, or the owner's note."
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    accepted = models.BooleanField(default=True, help_text="False when the amount or currency was not the order's.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
            # Stripe tells us about the same money more than once: one row per kind and reference.
            models.UniqueConstraint(
                fields=["provider", "kind", "reference"],
                condition=Q(provider="stripe"),
                name="stripe_payment_recorded_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency.upper()} ({self.get_provider_display()})"


class StripeEvent(InboxEvent):
    """One event Stripe's webhook delivered, stored once by its id before the 200; a worker handles it. Its life
    (received → processing → done | failed) is `philia.inbox`'s; one the shop does not act on is done with the
    reason as its outcome."""

    inbox_label = "Stripe"
    inbox_actor = "handle_stripe_event"
    inbox_stale_setting = "STRIPE_STALE_EVENT_SECONDS"

    event_id = models.CharField("Stripe event id", max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="stripe_events")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class HistoryIsAppendOnly(Exception):
    """An order's history is written once and never changed (a database trigger refuses it too)."""


class OrderEventQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise HistoryIsAppendOnly("An order's history cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise HistoryIsAppendOnly("An order's history cannot be deleted.")


class OrderEvent(models.Model):
    """One change of an order: who, when, from which status to which, and a note. Append-only."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ASSISTANT = "assistant", "Assistant"
        OWNER = "owner", "Owner"
        SYSTEM = "system", "System"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    actor = models.CharField(max_length=16, choices=Actor.choices, default=Actor.SYSTEM)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # PROTECT, not SET_NULL: the history is never rewritten, so who did it stays.
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff user, when the owner did it in the admin.",
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    # Whether the customer was told of this change: the DM queued for it (its state and sent_at say whether and
    # when it went out), or why none was queued. Both empty where there is nothing to tell (placed, flagged).
    notice = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        # PROTECT, not SET_NULL: the history is never rewritten (messages go only with the whole shop, after it).
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The DM that told the customer of this change.",
    )
    not_told_because = models.CharField(max_length=200, blank=True, help_text="Why the customer was not told.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrderEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise HistoryIsAppendOnly("An order's history cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise HistoryIsAppendOnly("An order's history cannot be deleted.")


class Offer(models.Model):
    """A customer's offer on an item's price. Only the owner's rules decide it, never the assistant."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the owner"
        COUNTERED = "countered", "Countered, waiting for the customer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    customer = models.ForeignKey("conversations.Customer", on_delete=models.CASCADE, related_name="offers")
    item = models.ForeignKey("inventory.Item", on_delete=models.CASCADE, related_name="offers")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    counter_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="The shop's counter-offer."
    )
    # The price agreed (the offer, or the counter the customer said yes to) and the hold it was agreed on.
    agreed_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    hold_since = models.DateTimeField(null=True, blank=True, help_text="When the hold at the agreed price began.")
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(name="offer_amount_positive", condition=Q(amount__gt=0))]

    def __str__(self) -> str:
        return f"${self.amount} for {self.item}"
