from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Customer(models.Model):
    """Someone who wrote to the shop on TikTok. Their TikTok user id is the key."""

    tiktok_user_id = models.CharField("TikTok user id", max_length=128, primary_key=True)
    username = models.CharField(max_length=100, blank=True, db_index=True)
    display_name = models.CharField(max_length=150, blank=True)
    conversation_id = models.CharField(
        "TikTok conversation id", max_length=255, blank=True, help_text="What replies are sent to."
    )
    last_inbound_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The customer's last message: the 48-hour reply window runs from here.",
    )
    last_read_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer last read the shop's messages."
    )
    bot_paused_until = models.DateTimeField(
        null=True, blank=True, help_text="While set and in the future, the assistant stays quiet for this customer."
    )
    handoff_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The customer asked for a person; cleared when the owner resumes the bot.",
    )
    marketing_consent = models.BooleanField(
        default=False, help_text="The customer asked to hear about lives and drops; STOP withdraws it."
    )
    marketing_consent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer gave their marketing consent."
    )
    opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="The customer sent STOP: nothing automated is sent until they send START."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_inbound_at"]

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else self.tiktok_user_id

    def is_bot_paused(self, *, now: datetime | None = None) -> bool:
        return self.bot_paused_until is not None and self.bot_paused_until > (now or timezone.now())


class Message(models.Model):
    """One message in a customer's conversation, either way. Outbound rows are the outbox."""

    class Role(models.TextChoices):
        USER = "user", "Customer"
        ASSISTANT = "assistant", "Assistant"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BLOCKED = "blocked", "Blocked"
        DRY_RUN = "dry_run", "Dry run (not sent)"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    content_type = models.CharField(
        max_length=32, default="text", help_text="TikTok's message type: text, image, sticker, share_post, …"
    )
    text = models.TextField(blank=True)
    image_name = models.CharField(
        "image file",
        max_length=255,
        blank=True,
        help_text="Outbound image messages: the photo file sent, by its name in Django's storage.",
    )
    photo_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Outbound image messages: the item photo sent (inventory's ItemPhoto id; not a foreign key, "
        "since conversations sits below inventory).",
    )
    tiktok_message_id = models.CharField("TikTok message id", max_length=255, null=True, blank=True, unique=True)
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        help_text="The inbound message this outbound message answers.",
    )
    state = models.CharField(max_length=16, choices=State.choices, blank=True, db_index=True)
    error_code = models.CharField(max_length=32, blank=True)
    error = models.TextField("error or reason", blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    ai_model = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not columns: true only on the instance the intake has just inserted (`conversations.services`), so the
    # assistant skips reads that can find nothing. `recorded_now`: no earlier run of a job can have acted on this
    # message (no tool calls stored for it); `first_from_customer`: its customer was created with it (no earlier
    # messages, no waitlist places).
    recorded_now: bool = False
    first_from_customer: bool = False

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["customer", "created_at"], name="message_customer_created")]
        constraints = [
            models.CheckConstraint(
                name="message_outbound_has_state",
                condition=(Q(direction="outbound") & ~Q(state="")) | (Q(direction="inbound") & Q(state="")),
            ),
            # One assistant text per inbound message (its image_name is ""), and each photo sent at most once with it.
            models.UniqueConstraint(
                fields=["in_reply_to", "image_name"],
                condition=Q(role="assistant"),
                name="one_assistant_reply_part_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:60] if self.text or not self.image_name else '[photo]'}"
