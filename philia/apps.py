from django.apps import AppConfig


class PhiliaConfig(AppConfig):
    name = "philia"
    verbose_name = "Philia Thrifts"

    def ready(self) -> None:
        from notifications.models import Notification
        from notifications.pages import register_page

        # Orders' pages, named here only until orders/apps.py registers them itself as conversations/apps.py does
        # (issue 19: orders/ was being reshaped when the registry came).
        register_page(Notification.Kind.ORDER_PLACED, _order_page)
        register_page(Notification.Kind.CUSTOMER_SAYS_PAID, _order_page)


def _order_page(order_id: str | int) -> str:
    from django.urls import reverse

    return reverse("admin:orders_order_change", args=[order_id])
