"""What the assistant did: one row per action taken for an inbound message."""

from django.db import models
from django.utils import timezone

from conversations.models import Customer, Message


class ToolCall(models.Model):
    """An action the assistant took for one inbound message (a hold, an order, an offer, a hand-off).

    The key is derived from the inbound message, the tool and its arguments, so a message that is
    handled again replays the stored result instead of acting twice.
    """

    idempotency_key = models.CharField(max_length=64, unique=True)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="tool_calls", help_text="The inbound message it acted on."
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tool_calls")
    tool = models.CharField(max_length=40)
    arguments = models.JSONField(default=dict, blank=True)
    succeeded = models.BooleanField(default=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.tool}({self.arguments}) for message {self.message_id}"
