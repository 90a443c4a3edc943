from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from notifications.models import Notification
        from notifications.pages import register_page

        # A hand-off and a message that did not go are the customer's business: their page.
        register_page(Notification.Kind.HANDOFF, customer_page)
        register_page(Notification.Kind.SEND_FAILED, customer_page)


def customer_page(customer_id: str | int) -> str:
    """The customer's admin page (their conversation, holds, orders and the reply box)."""
    from django.contrib.admin.utils import quote
    from django.urls import reverse

    return reverse("admin:conversations_customer_change", args=[quote(customer_id)])
