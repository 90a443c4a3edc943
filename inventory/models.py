from datetime import datetime
from decimal import ROUND_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

MEASUREMENT_ORDER = {
    name: position
    for position, name in enumerate(
        ["pit_to_pit", "chest", "shoulders", "length", "sleeve", "waist", "hips", "inseam", "rise", "leg_opening"]
    )
}


class ItemQuerySet(models.QuerySet):
    """The rules of whether a piece can be had right now, in one place: `free` and `held` here, and the same
    rules of a row in hand as `Item.is_free` / `Item.is_held` (`inventory.locks` writes `free` in SQL)."""

    @staticmethod
    def free_q(*, now: datetime | None = None) -> Q:
        """`free` as a condition, to combine with others."""
        now = now or timezone.now()
        return (Q(status=Item.Status.AVAILABLE) | Q(status=Item.Status.RESERVED, held_until__lte=now)) & (
            Q(drops_at__isnull=True) | Q(drops_at__lte=now)
        )

    def free(self, *, now: datetime | None = None) -> "ItemQuerySet":
        """Pieces a customer could hold now: available, or held with the hold run out; not in a drop still to come."""
        return self.filter(self.free_q(now=now))

    @staticmethod
    def not_yet_dropped_q(*, now: datetime | None = None) -> Q:
        """Pieces in a drop still to come (on nobody's listings before the drop time), as a condition."""
        return Q(drops_at__gt=now or timezone.now())

    def not_yet_dropped(self, *, now: datetime | None = None) -> "ItemQuerySet":
        """Pieces in a drop still to come: on nobody's listings before the drop time."""
        return self.filter(self.not_yet_dropped_q(now=now))

    @staticmethod
    def held_q(*, now: datetime | None = None) -> Q:
        """`held` as a condition, to combine with others."""
        return Q(status=Item.Status.RESERVED, held_until__gt=now or timezone.now())

    def held(self, *, now: datetime | None = None) -> "ItemQuerySet":
        """Pieces held now: the hold has not run out."""
        return self.filter(self.held_q(now=now))

    def holds_run_out(self, *, now: datetime | None = None) -> "ItemQuerySet":
        """Pieces still marked held whose hold has run out (free already; the sweep puts them back on sale)."""
        return self.filter(status=Item.Status.RESERVED, held_until__lte=now or timezone.now())


class Item(models.Model):
    """One piece of clothing. There is only ever one of each: available → reserved → sold (or hidden)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        RESERVED = "reserved", "Held"
        SOLD = "sold", "Sold"
        HIDDEN = "hidden", "Hidden"

    class Category(models.TextChoices):
        JACKET = "jacket", "Jacket / coat"
        SWEATSHIRT = "sweatshirt", "Sweatshirt / hoodie"
        SWEATER = "sweater", "Sweater / knit"
        SHIRT = "shirt", "Shirt"
        TSHIRT = "tshirt", "T-shirt"
        JEANS = "jeans", "Jeans"
        TROUSERS = "trousers", "Trousers"
        SHORTS = "shorts", "Shorts"
        DRESS = "dress", "Dress"
        SKIRT = "skirt", "Skirt"
        SHOES = "shoes", "Shoes"
        ACCESSORY = "accessory", "Accessory"
        OTHER = "other", "Other"

    class Condition(models.TextChoices):
        NEW_WITH_TAGS = "new_with_tags", "New with tags"
        EXCELLENT = "excellent", "Excellent"
        VERY_GOOD = "very_good", "Very good"
        GOOD = "good", "Good"
        FAIR = "fair", "Fair (flaws noted)"

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=80, blank=True, db_index=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    colour = models.CharField(max_length=60, blank=True)
    era = models.CharField(max_length=20, blank=True, help_text="Decade it was made, e.g. 90s.")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    offer_floor = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The lowest offer accepted at once. Blank: the shop's OFFER_FLOOR_PERCENT of the price.",
    )
    size_label = models.CharField("size", max_length=20, blank=True, db_index=True)
    measurements = models.JSONField(
        default=dict, blank=True, help_text='Inches, e.g. {"pit_to_pit": 22.5, "length": 28}.'
    )
    condition = models.CharField(max_length=20, choices=Condition.choices, default=Condition.GOOD)
    image_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE, db_index=True)
    held_by = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    held_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # About the current hold only (meaningless when the item is not held; a new hold resets them).
    held_since = models.DateTimeField(null=True, blank=True, help_text="When the current hold was taken.")
    hold_reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the holder was reminded that the current hold runs out."
    )
    hold_extended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner extended the current hold (once per hold)."
    )
    drops_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="In an upcoming drop: not shown or holdable before this time.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        constraints = [
            # SKUs are looked up case-insensitively, so "abc-1" and "ABC-1" must not both exist.
            models.UniqueConstraint(
                Upper("sku"),
                name="item_sku_unique_ci",
                violation_error_message="An item with this SKU already exists (SKUs are the same in any case).",
            ),
            models.CheckConstraint(name="item_price_positive", condition=Q(price__gt=0)),
            models.CheckConstraint(
                name="item_offer_floor_positive", condition=Q(offer_floor__isnull=True) | Q(offer_floor__gt=0)
            ),
            models.CheckConstraint(
                name="item_hold_matches_status",
                condition=(Q(status="reserved") & Q(held_by__isnull=False) & Q(held_until__isnull=False))
                | (~Q(status="reserved") & Q(held_by__isnull=True) & Q(held_until__isnull=True)),
            ),
            models.CheckConstraint(
                name="item_status_valid", condition=Q(status__in=["available", "reserved", "sold", "hidden"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def get_absolute_url(self) -> str:
        """The item's public page (the admin's "View on site")."""
        return reverse("item_page", args=[self.sku])

    def is_held(self, *, now: datetime) -> bool:
        """`Item.objects.held` of this row as read: held, and the hold has not run out."""
        return self.status == Item.Status.RESERVED and self.held_until is not None and self.held_until > now

    def hold_runs_out_at(self) -> datetime:
        """`held_until` of an item known to be held (a hold just taken, one `is_held` saw); raises ValueError if none."""
        if self.held_until is None:
            raise ValueError(f"{self.sku} has no hold")
        return self.held_until

    def is_on_sale(self, *, now: datetime) -> bool:
        """Available, or held with the hold run out (whether a drop is still to come aside)."""
        return self.status == Item.Status.AVAILABLE or (
            self.status == Item.Status.RESERVED and not self.is_held(now=now)
        )

    def is_free(self, *, now: datetime) -> bool:
        """`Item.objects.free` of this row as read: on sale now and not in a drop still to come."""
        return self.is_on_sale(now=now) and (self.drops_at is None or self.drops_at <= now)

    @property
    def floor_price(self) -> Decimal:
        """The lowest offer accepted at once: the owner's floor, else OFFER_FLOOR_PERCENT of the price (never above it)."""
        if self.offer_floor is not None:
            return min(Decimal(self.offer_floor), Decimal(self.price))
        floor = Decimal(self.price) * settings.OFFER_FLOOR_PERCENT / 100
        return floor.quantize(Decimal("0.01"), rounding=ROUND_UP)

    def clean(self) -> None:
        if self.offer_floor is not None and self.price is not None and Decimal(self.offer_floor) > Decimal(self.price):
            raise ValidationError({"offer_floor": "The offer floor cannot be above the price."})
        # Measurements are read by staff and by the assistant: a flat map of positive numbers of inches.
        if not isinstance(self.measurements, dict) or not all(
            isinstance(name, str) and isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            for name, value in self.measurements.items()
        ):
            raise ValidationError(
                {"measurements": 'Give measurements as inches, e.g. {"pit_to_pit": 22.5, "length": 28}.'}
            )

    @property
    def ordered_measurements(self) -> dict[str, int | float]:
        """The numeric measurements in the order people measure in (PostgreSQL's jsonb does not keep key order)."""
        if not isinstance(self.measurements, dict):
            return {}
        names = sorted(self.measurements, key=lambda name: (MEASUREMENT_ORDER.get(name, len(MEASUREMENT_ORDER)), name))
        return {
            name: self.measurements[name]
            for name in names
            if isinstance(self.measurements[name], int | float) and not isinstance(self.measurements[name], bool)
        }

    @property
    def measurements_text(self) -> str:
        """Measurements for people: "pit to pit 24.5 in · length 28 in"."""
        return " · ".join(f"{name.replace('_', ' ')} {value:g} in" for name, value in self.ordered_measurements.items())


class WaitlistEntry(models.Model):
    """A customer waiting for a piece someone else has. The line is ordered by `queued_at`, then id."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="waitlist")
    customer = models.ForeignKey("conversations.Customer", on_delete=models.CASCADE, related_name="waitlist_entries")
    queued_at = models.DateTimeField(
        help_text="What orders the line: when they asked, or the TikTok time of their claim in a drop."
    )
    told_available_at = models.DateTimeField(
        null=True, blank=True, help_text="When they were last told the piece is free (without a hold)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "waitlist entries"
        ordering = ["item", "queued_at", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "customer"], name="waitlist_one_place_per_customer")]
        indexes = [models.Index(fields=["item", "queued_at", "id"], name="waitlist_line")]

    def __str__(self) -> str:
        return f"{self.customer} waiting for {self.item.sku}"


class Drop(models.Model):
    """A set of pieces that go on sale together at one announced time."""

    name = models.CharField(max_length=120)
    drops_at = models.DateTimeField(db_index=True)
    # The rules of the giving away, when they are not the shop's drop settings (a piece shown in a live stream).
    settle_seconds = models.FloatField(
        null=True, blank=True, help_text="Claims count this long after the first; empty: DROP_SETTLE_SECONDS."
    )
    hold_hours = models.FloatField(null=True, blank=True, help_text="The winner's hold; empty: HOLD_HOURS.")
    counts_toward_hold_limit = models.BooleanField(
        default=True, help_text="A win counts against MAX_HOLDS_PER_CUSTOMER (a claimant at the limit is passed over)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drops_at"]
        constraints = [
            models.CheckConstraint(
                name="drop_settle_seconds_not_negative",
                condition=Q(settle_seconds__isnull=True) | Q(settle_seconds__gte=0),
            ),
            models.CheckConstraint(
                name="drop_hold_hours_positive", condition=Q(hold_hours__isnull=True) | Q(hold_hours__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.drops_at:%Y-%m-%d %H:%M %Z})"


class DropItem(models.Model):
    """One piece of a drop: its claims are collected for DROP_SETTLE_SECONDS from the first, then settled."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="drop_items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="drop_entries")
    first_claim_at = models.DateTimeField(
        null=True, blank=True, help_text="When the first claim was recorded (the settling job is scheduled then)."
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="drops_won"
    )

    class Meta:
        ordering = ["drop", "item__sku"]
        constraints = [models.UniqueConstraint(fields=["drop", "item"], name="drop_item_once_per_drop")]

    def __str__(self) -> str:
        return f"{self.item.sku} in {self.drop.name}"


class DropClaim(models.Model):
    """A customer's message that would hold a drop item, recorded instead of holding it; one per customer."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the settling window"
        WON = "won", "Won"
        LOST = "lost", "Someone was faster"
        LATE = "late", "After the settling window"
        EARLY = "early", "Written before the drop time"

    drop_item = models.ForeignKey(DropItem, on_delete=models.CASCADE, related_name="claims")
    customer = models.ForeignKey("conversations.Customer", on_delete=models.CASCADE, related_name="drop_claims")
    message = models.ForeignKey(
        "conversations.Message", on_delete=models.CASCADE, related_name="drop_claims", help_text="The claiming DM."
    )
    tiktok_message_id = models.CharField("TikTok message id", max_length=255)
    written_at_ms = models.BigIntegerField(help_text="TikTok's timestamp of the message (content.timestamp, ms).")
    received_at = models.DateTimeField(
        null=True, blank=True, help_text="When the webhook received the message (filled in when settled)."
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    waitlist_place = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["drop_item", "written_at_ms", "tiktok_message_id"]
        constraints = [
            models.UniqueConstraint(fields=["drop_item", "customer"], name="drop_claim_once_per_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} claims {self.drop_item.item.sku}"


class ItemPhoto(models.Model):
    """A photo of an item, already normalised (JPEG, at most `PHOTO_MAX_SIDE` px, no EXIF) by `inventory.photos`.

    Files are written through Django's storage API (`STORAGES["default"]`); the first by `position` is the
    item's main photo. Written only by `inventory.services` (add, replace, move, remove).
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="items/", max_length=255)
    thumbnail = models.ImageField(upload_to="items/", max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first; the first is the main photo.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["item", "position"], name="item_photo_order")]

    def __str__(self) -> str:
        return f"Photo {self.position} of {self.item.sku}" if self.item_id else "Photo"

    @property
    def image_name(self) -> str:
        """The stored image's name: every saved photo has one (`inventory.item_photos` writes the file first)."""
        if not self.image.name:
            raise ValueError(f"{self} has no stored image")
        return self.image.name
