from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from notifications.models import Notification
        from notifications.pages import register_page

        # A new order, and a customer saying they paid: the order's page (Mark paid, the history).
        register_page(Notification.Kind.ORDER_PLACED, order_page)
        register_page(Notification.Kind.CUSTOMER_SAYS_PAID, order_page)


def order_page(order_id: str | int) -> str:
    from django.urls import reverse

    return reverse("admin:orders_order_change", args=[order_id])
