"""Live streams: pieces lined up, shown one after another on TikTok LIVE, and claimed by DM while on screen.

Every span a piece was on screen is kept (`ScreenSpan`), so a DM's TikTok timestamp maps to the piece on screen
when it was written, however late it arrives. Each span is given away through the drop machinery: its piece is a
`inventory.DropItem` of a `Drop` made for it, dropping when it came on screen.
"""

from django.db import models
from django.db.models import Q


class Stream(models.Model):
    """A TikTok LIVE sale: scheduled → live → ended. At most one stream is live at a time."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    title = models.CharField(max_length=200)
    scheduled_at = models.DateTimeField(help_text="When the stream is announced to start.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    invoices_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When every winner of the ended stream had their one invoice."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="live"),
                name="stream_one_live_at_a_time",
                violation_error_message="Another stream is live: end it first.",
            ),
            models.CheckConstraint(name="stream_status_valid", condition=Q(status__in=["scheduled", "live", "ended"])),
            models.CheckConstraint(
                name="stream_times_match_status",
                condition=(Q(status="scheduled") & Q(started_at__isnull=True) & Q(ended_at__isnull=True))
                | (Q(status="live") & Q(started_at__isnull=False) & Q(ended_at__isnull=True))
                | (Q(status="ended") & Q(ended_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_at:%Y-%m-%d %H:%M %Z})"


class StreamItem(models.Model):
    """A piece lined up for a stream; `position` is the line-up order and the lot number said on screen."""

    class State(models.TextChoices):
        LINED_UP = "lined_up", "Lined up"
        SHOWN = "shown", "Shown"
        SKIPPED = "skipped", "Skipped"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="pieces")
    item = models.ForeignKey("inventory.Item", on_delete=models.PROTECT, related_name="stream_entries")
    position = models.PositiveIntegerField(help_text="Line-up order, from 1; the lot number shown on screen.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.LINED_UP)
    skip_reason = models.CharField(max_length=200, blank=True, help_text="Why the piece was skipped.")

    class Meta:
        ordering = ["stream", "position"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "position"], name="stream_item_position_once"),
            models.UniqueConstraint(fields=["stream", "item"], name="stream_item_once_per_stream"),
            models.CheckConstraint(
                name="stream_item_state_valid", condition=Q(state__in=["lined_up", "shown", "skipped"])
            ),
        ]

    def __str__(self) -> str:
        return f"Lot {self.position}: {self.item.sku}"


class ScreenSpan(models.Model):
    """A span of time a piece was on screen; `shown_until` is null while it still is (one such span per stream).

    A DM written at TikTok time t claims the piece of the span with shown_from <= t < shown_until (or still open).
    """

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="spans")
    stream_item = models.ForeignKey(StreamItem, on_delete=models.CASCADE, related_name="spans")
    item = models.ForeignKey("inventory.Item", on_delete=models.PROTECT, related_name="screen_spans")
    shown_from = models.DateTimeField(help_text="When it came on screen (to the millisecond, as TikTok's times).")
    shown_until = models.DateTimeField(null=True, blank=True, help_text="When it left the screen; empty while on it.")
    drop_item = models.OneToOneField(
        "inventory.DropItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="screen_span",
        help_text="The drop item its claims are settled through.",
    )

    class Meta:
        ordering = ["stream", "shown_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["stream"], condition=Q(shown_until__isnull=True), name="screen_span_one_on_screen"
            ),
            models.CheckConstraint(
                name="screen_span_ends_after_start",
                condition=Q(shown_until__isnull=True) | Q(shown_until__gte=models.F("shown_from")),
            ),
        ]
        # "What was on screen at t": the latest span of the stream that started at or before t.
        indexes = [models.Index(fields=["stream", "-shown_from"], name="screen_span_at_time")]

    def __str__(self) -> str:
        return f"{self.item.sku} on screen from {self.shown_from:%H:%M:%S}"


class Announcement(models.Model):
    """A customer told that a stream is coming ("we go live at …"): at most one per stream and customer, whatever
    retries or schedules again."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="announcements")
    customer = models.ForeignKey("conversations.Customer", on_delete=models.CASCADE, related_name="announcements")
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The outbound message that told them (its state says whether it went out).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stream", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "customer"], name="announcement_once_per_stream_and_customer")
        ]

    def __str__(self) -> str:
        return f"Stream {self.stream_id} announced to {self.customer_id}"


class StreamInvoice(models.Model):
    """A winner's one invoice for a stream: the order of every piece they won in it (made once: one row per stream
    and customer), and the one message that told them of it and how to pay (`told_at`: sent once)."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="invoices")
    customer = models.ForeignKey("conversations.Customer", on_delete=models.CASCADE, related_name="live_invoices")
    order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="live_invoice",
        help_text="Empty when the winner held none of the pieces any more when the stream's invoices were made.",
    )
    told_at = models.DateTimeField(null=True, blank=True, help_text="When the invoice's message was queued.")
    notice = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The DM with the invoice (empty: the winner could not be written to, the order's history says why).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stream", "pk"]
        constraints = [models.UniqueConstraint(fields=["stream", "customer"], name="stream_invoice_once_per_winner")]

    def __str__(self) -> str:
        return f"Invoice of {self.customer_id} for stream {self.stream_id}"
