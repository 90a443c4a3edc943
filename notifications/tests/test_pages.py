"""Each app names the admin page its notifications link to (`notifications.pages`); notifications names none."""

import pytest

from notifications.models import Notification
from notifications.pages import page_of


@pytest.mark.parametrize(
    ("kind", "about", "page"),
    [
        (Notification.Kind.HANDOFF, "anna-id", "/admin/conversations/customer/anna-id/change/"),
        (Notification.Kind.SEND_FAILED, "user/1", "/admin/conversations/customer/user_2F1/change/"),
        (Notification.Kind.ORDER_PLACED, 12, "/admin/orders/order/12/change/"),
        (Notification.Kind.CUSTOMER_SAYS_PAID, 12, "/admin/orders/order/12/change/"),
    ],
)
def test_each_kind_links_to_the_admin_page_its_app_registered(kind, about, page):
    assert page_of(kind, about) == page


def test_a_kind_no_app_registered_a_page_for_is_a_mistake_said_at_once():
    # A failed delivery from outside brings its own page (philia.inbox): no app registers one for the kind.
    with pytest.raises(LookupError, match="No admin page is registered for 'event_failed' notifications"):
        page_of(Notification.Kind.EVENT_FAILED, 1)
