"""Where a notification takes the owner: each app names its own admin pages here, by kind of notification, so this
app imports none of the apps that notify (they register in their AppConfig.ready).

    register_page(Notification.Kind.HANDOFF, customer_page)     # conversations/apps.py
    page_of(Notification.Kind.HANDOFF, customer_id)             # notifications.services: "/admin/conversations/…"
"""

from collections.abc import Callable

# The admin path of what a notification is about, given its id (a customer's TikTok user id, an order's number).
Page = Callable[[str | int], str]

_pages: dict[str, Page] = {}


def register_page(kind: str, page: Page) -> None:
    """Notifications of `kind` link to `page(about)`. Registering a kind again replaces its page."""
    _pages[kind] = page


def page_of(kind: str, about: str | int) -> str:
    """The admin path a notification of `kind` about `about` links to. Raises LookupError for a kind no app named
    a page for: a mistake found by the first test that notifies of it."""
    try:
        page = _pages[kind]
    except KeyError:
        raise LookupError(f"No admin page is registered for {str(kind)!r} notifications.") from None
    return page(about)
