from django.db import models
from django.db.models import Q
from django.utils import timezone

from philia.inbox import InboxEvent


class WebhookEvent(InboxEvent):
    """The TikTok inbox: every delivery, stored before we answer 200. One row per TikTok message. Its life (received →
    processing → done | failed) is `philia.inbox`'s; an event not ours, or of a kind the shop does not handle, is
    stored done with the reason as its outcome."""

    inbox_label = "TikTok"
    # The assistant's actor (assistant/tasks.py): handling an event puts the channel, the conversations and the
    # assistant together, and is sent by this name.
    inbox_actor = "handle_event"
    inbox_stale_setting = "TIKTOK_STALE_EVENT_SECONDS"

    event = models.CharField(max_length=64, db_index=True)
    # Not unique on its own: dedupe_key ("message:<id>") is, and is the one constraint the intake's upsert names
    # (a second unique index made racing deliveries of one message fail with a 500 instead of a duplicate). NULL,
    # not "", for events without a message id (read receipts), as every stored row has it.
    tiktok_message_id = models.CharField(  # noqa: DJ001
        "TikTok message id", max_length=255, null=True, blank=True, db_index=True
    )
    dedupe_key = models.CharField(
        max_length=300,
        unique=True,
        help_text="What makes a delivery a repeat: the TikTok message id, or for events without one "
        "(read receipts) their conversation, reader and timestamp.",
    )
    conversation_id = models.CharField(max_length=255, blank=True, db_index=True)
    raw_body = models.TextField()

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.tiktok_message_id or self.pk}"


class TikTokCredential(models.Model):
    """The shop's TikTok Business Messaging tokens (one row). `TIKTOK_ACCESS_TOKEN` in the environment wins."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    access_token = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = models.TextField(
        blank=True, help_text="TikTok issues a new one on every refresh; the stored one is always the newest."
    )
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    last_refresh_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "TikTok credentials"
        verbose_name_plural = "TikTok credentials"
        constraints = [models.CheckConstraint(name="tiktok_credential_singleton", condition=Q(id=1))]

    def __str__(self) -> str:
        return "TikTok credentials"


class UploadedImage(models.Model):
    """A stored photo file already uploaded to TikTok for image messages: the same file is uploaded once and its
    `media_id` reused (TikTok keeps uploads about 30 days; an older or refused id is uploaded again)."""

    file_name = models.CharField(
        max_length=255, unique=True, help_text="The file's name in Django's storage (a new photo gets a new name)."
    )
    media_id = models.CharField("TikTok media id", max_length=255)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.media_id}"


class ConversationCapability(models.Model):
    """What TikTok last said a conversation can receive (images are region-gated), kept for
    `TIKTOK_CAPABILITIES_CACHE_HOURS` so that not every "pics?" asks TikTok again."""

    conversation_id = models.CharField("TikTok conversation id", max_length=255, primary_key=True)
    image_send = models.BooleanField(help_text="TikTok's IMAGE_SEND capability for this conversation.")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "conversation capabilities"

    def __str__(self) -> str:
        return f"{self.conversation_id}: images {'yes' if self.image_send else 'no'}"
