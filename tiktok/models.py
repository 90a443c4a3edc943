from django.db import models
from django.utils import timezone


class WebhookEvent(models.Model):
    """The inbox: every delivery from TikTok, stored before we answer 200. One row per TikTok message."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    event = models.CharField(max_length=64, db_index=True)
    tiktok_message_id = models.CharField("TikTok message id", max_length=255, null=True, blank=True, unique=True)
    conversation_id = models.CharField(max_length=255, blank=True, db_index=True)
    raw_body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.tiktok_message_id or self.pk}"
