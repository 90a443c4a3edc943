"""Writes to the assistant's own rows (`ToolCall`) that are not part of answering a message."""

from django.db import transaction

from assistant.models import ToolCall


def clear_tool_calls() -> dict[str, int]:
    """Delete every recorded tool call (`seed --clear`); returns how many, by what people call them."""
    with transaction.atomic():
        _, deleted = ToolCall.objects.all().delete()
    return {"tool calls": deleted.get(ToolCall._meta.label, 0)}
