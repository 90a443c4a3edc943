"""What the shop told its owner, and when: one row per cause (a hand-off, an order, a failed send)."""

from django.db import models


class Notification(models.Model):
    """A message to the owner about something that needs them, sent by email and/or a push after commit.

    `cause` is unique: recording the same cause again (a retried job, a message handled twice) finds
    this row instead of notifying twice.
    """

    class Kind(models.TextChoices):
        HANDOFF = "handoff", "Customer asked for a person"
        ORDER_PLACED = "order_placed", "Order placed"
        CUSTOMER_SAYS_PAID = "customer_says_paid", "Customer says they paid"
        SEND_FAILED = "send_failed", "Message not sent"
        EVENT_FAILED = "event_failed", "Delivery not handled"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent: no OWNER_EMAIL or OWNER_NOTIFY_URL"

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    cause = models.CharField(
        max_length=200, unique=True, help_text="What it is about, e.g. order_placed:12: one notification per cause."
    )
    text = models.TextField()
    path = models.CharField("admin page", max_length=500, help_text="Where the owner handles it.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"
