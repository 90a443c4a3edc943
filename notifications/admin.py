from django.contrib import admin
from django.utils.html import format_html

from notifications.models import Notification
from philia.admin_actions import ReadOnlyAdmin, clip


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What the owner was told and whether it reached them. Read-only: rows are written with their cause."""

    list_display = ("created_at", "kind", "about", "state", "sent_at")
    list_filter = ("kind", "state")
    search_fields = ("text", "cause")
    date_hierarchy = "created_at"
    readonly_fields = (
        "kind", "about", "cause", "state", "attempts", "last_error", "emailed_at", "pushed_at", "sent_at", "created_at",
    )  # fmt: skip
    fields = readonly_fields

    @admin.display(description="what")
    def about(self, notification: Notification) -> str:
        return format_html('<a href="{}">{}</a>', notification.path, clip(notification.text, 120))
