"""The owner's day in a real browser (headless Chromium through Selenium, against Django's live server), on a laptop
(1366 px) and on a phone (390 px): log in, see Today, add an item with a photo, mark an order paid, ship it with a
tracking number, see in the history that the customer was told and when, answer a waiting customer, counter an offer.
On the phone no page, and no box inside one, scrolls sideways."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conversations.models import Customer, Message
from inventory.models import Item
from inventory.tests.photo_support import GPS_IFD, ORIENTATION
from orders.models import Offer, Order
from orders.services import place_order
from philia.tests.factories import make_customer, make_item
from testing.browser import assert_no_sideways_scroll
from tiktok.models import WebhookEvent

# transaction=True: the live server answers from another thread, which must see the rows this test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker"),
]

LONG_NAME = "Vintage 1990s Nike ACG Oversized Colour-Block Windbreaker Jacket With Packable Hood"
TRACKING = "LX123456789GB"


def _the_shop() -> dict:
    """A waiting customer with a conversation, an order awaiting payment, and enough else to fill every list."""
    now = timezone.now()
    anna = make_customer(
        "anna-id", username="anna_vintage_lover_2024", conversation_id="conv-anna", last_inbound_at=now
    )
    for number, text in enumerate(["hi!", "is the windbreaker still available?", "can I talk to a real person please"]):
        Message.objects.create(
            customer=anna, role="user", direction="inbound", text=text, tiktok_message_id=f"in-{number}"
        )
    Customer.objects.filter(pk=anna.pk).update(handoff_requested_at=now - timedelta(minutes=20))
    bob = make_customer("bob-id", username="bob", conversation_id="conv-bob", last_inbound_at=now - timedelta(hours=1))
    make_item("VNT-NIKE-WB-001", name=LONG_NAME, price="45.00", held_by=bob, held_until=now + timedelta(hours=2),
              brand="Nike", size_label="L", measurements={"pit_to_pit": 24.5, "length": 28})  # fmt: skip
    make_item(
        "VNT-LEVI-501-002", name="Levi's 501 Jeans", price="38.00", held_by=bob, held_until=now + timedelta(hours=2)
    )
    order = place_order(customer=bob)
    cara = make_customer("cara-id", username="cara", conversation_id="conv-cara", last_inbound_at=now)
    make_item(
        "VNT-CARH-003", name="Carhartt Detroit Jacket", price="85.00", held_by=cara, held_until=now + timedelta(hours=3)
    )
    to_cancel = place_order(customer=cara)
    for number in range(4):
        make_item(f"VNT-STOCK-{number:03d}", name=f"{LONG_NAME} no. {number}", price="25.00", brand="Vintage")
    Offer.objects.create(customer=anna, item=make_item("VNT-OFFER-009", price="60.00"), amount=Decimal("40.00"))
    Message.objects.create(
        customer=bob, role="staff", direction="outbound", state="failed", text="Your order is on its way! " * 6,
        error="TikTok refused the message: 40001 param error: conversation_id_is_not_valid_for_this_business_account",
    )  # fmt: skip
    WebhookEvent.objects.create(event="im_receive_msg", dedupe_key="k1", tiktok_message_id="m1", raw_body='{"event": '
                                '"im_receive_msg", "content": "{\\"message\\": \\"' + "x" * 300 + '\\"}"}')  # fmt: skip
    return {"order": order, "to_cancel": to_cancel}


def _log_in(browser, live_server, admin_user) -> None:
    browser.get(live_server.url + "/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(admin_user.username)
    browser.find_element(By.ID, "id_password").send_keys("password")
    # Waits for the admin's index: a page asked for while the login's redirect is still loading is replaced by it.
    _click(browser, "input[type=submit]")
    assert "/login/" not in browser.current_url, "the admin login failed"


def _phone_photo(folder: Path) -> Path:
    """A photo as a phone takes it: 2400×1200 px stored sideways (EXIF orientation 6: turn it to view it upright),
    with the place it was taken in GPS tags."""
    image = Image.new("RGB", (2400, 1200), (40, 90, 160))
    image.paste((200, 40, 40), (0, 0, 1200, 1200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)
    path = folder / "IMG_0042.JPG"
    image.save(path, "JPEG", exif=exif, quality=90)
    return path


def _label_of(browser, element) -> str:
    """What the phone shows before a card's cell (its column's name, from the stylesheet), or "" for none."""
    content = browser.execute_script("return getComputedStyle(arguments[0], '::before').content", element)
    return "" if content in ("none", "normal") else content.strip('"')


def _click(browser, selector: str) -> None:
    """Click a button that loads another page, and wait until that page has replaced this one (else the next
    look finds the old page's elements on a slow machine)."""
    element = browser.find_element(By.CSS_SELECTOR, selector)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    # The old page is marked; the new one has no mark once loaded. Asked by script, since Chromium answers a look
    # at an element of the page being replaced with an error of its own rather than "stale".
    browser.execute_script("document.documentElement.setAttribute('data-left', 'yes')")
    element.click()
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: driver.execute_script(
            "return document.readyState === 'complete' && !document.documentElement.hasAttribute('data-left')"
        )
    )


@pytest.mark.parametrize("width", [1366, 390])
def test_the_owners_day(browser_at, live_server, admin_user, served_media, dramatiq_worker, tmp_path, width):
    shop = _the_shop()
    order = shop["order"]
    browser = browser_at(width)
    on_phone = width < 600
    check = assert_no_sideways_scroll if on_phone else (lambda driver, **kwargs: None)

    _log_in(browser, live_server, admin_user)
    assert browser.execute_script("return window.innerWidth") == width
    assert browser.find_element(By.TAG_NAME, "h1").text == "Today"
    assert browser.find_element(By.LINK_TEXT, "@anna_vintage_lover_2024 asked for a person").is_displayed()
    check(browser, name="today")

    # The short add-item page: a photo from the phone's camera, the few fields, the SKU left for the shop to make up.
    browser.get(live_server.url + "/admin/inventory/item/add/")
    check(browser, name="add-item")
    browser.find_element(By.NAME, "photos").send_keys(str(_phone_photo(tmp_path)))
    for name, value in (("name", "Carhartt Chore Coat"), ("brand", "Carhartt"), ("size_label", "M"), ("price", "65")):
        browser.find_element(By.NAME, name).send_keys(value)
    Select(browser.find_element(By.NAME, "category")).select_by_value("jacket")
    Select(browser.find_element(By.NAME, "condition")).select_by_value("very_good")
    _click(browser, "input[name=_save]")
    item = Item.objects.get(name="Carhartt Chore Coat")
    [photo] = item.photos.all()
    assert (item.sku, item.price, photo.position, photo.width, photo.height) == ("VNT-CARH-JKT-001", 65, 0, 800, 1600)
    with Image.open(served_media / photo.image.name) as stored:  # upright, at most 1600 px, no EXIF (no GPS)
        assert (stored.format, stored.size, len(stored.getexif())) == ("JPEG", (800, 1600), 0)
    row = browser.find_element(By.XPATH, f"//*[@id='result_list']//tr[.//a[text()='{item.sku}']]")
    thumbnail = row.find_element(By.CSS_SELECTOR, ".field-thumbnail img")
    WebDriverWait(browser, 10).until(lambda _: browser.execute_script("return arguments[0].complete", thumbnail))
    assert browser.execute_script("return arguments[0].naturalWidth", thumbnail) == 160  # the stored thumbnail
    assert thumbnail.is_displayed()
    check(browser, name="items-with-photo")
    browser.get(f"{live_server.url}/admin/inventory/item/{item.pk}/change/")
    assert browser.find_element(By.CSS_SELECTOR, "#photos-group td.field-preview img").is_displayed()
    if on_phone:  # the photo rows are cards, each box named
        assert _label_of(browser, browser.find_element(By.CSS_SELECTOR, "#photos-0 td.field-position")) == "Position: "
    check(browser, name="item-with-photo")

    browser.get(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    check(browser, name="order-pending")
    _click(browser, "button[value=mark_paid]")
    check(browser, name="mark-paid")
    amount = browser.find_element(By.NAME, f"amount_{order.pk}")
    assert amount.get_attribute("value") == str(order.total)  # prefilled with the total
    browser.find_element(By.NAME, f"reference_{order.pk}").send_keys("PayPal 7X123")
    _click(browser, "input[type=submit][value='Mark paid']")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Order #{order.pk} · Paid"

    _click(browser, "button[value=mark_shipped]")
    check(browser, name="mark-shipped")
    browser.find_element(By.NAME, f"tracking_{order.pk}").send_keys(TRACKING)
    _click(browser, "input[type=submit][value='Mark shipped']")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Order #{order.pk} · Shipped"
    history = browser.find_element(By.ID, "events-group").text
    assert "Paid" in history and "Shipped" in history and TRACKING in history

    # The worker sends the thanks and the tracking number to TikTok; the history then says each went out, and when.
    dramatiq_worker.drain()
    browser.refresh()
    told = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#events-group td.field-customer_told")]
    notices = [order.events.get(kind=kind).notice for kind in ("paid", "shipped")]
    assert [notice.state for notice in notices] == ["sent", "sent"]
    assert told == ["—", *(f"Yes, {timezone.localtime(notice.sent_at):%Y-%m-%d %H:%M}" for notice in notices)]
    if on_phone:  # the history's rows are cards: each cell says which column it is
        first = browser.find_element(By.CSS_SELECTOR, "#events-group td.field-customer_told")
        assert _label_of(browser, first) == "Customer told: "
        assert first.size["height"] < 32  # one line, without the 2em Django leaves above each cell of a table row
    else:
        assert (
            browser.find_element(By.CSS_SELECTOR, "#events-group th.column-customer_told").text.lower()
            == "customer told"
        )
    check(browser, name="order-shipped")

    browser.get(live_server.url + "/admin/")
    browser.find_element(By.LINK_TEXT, "@anna_vintage_lover_2024 asked for a person").click()
    check(browser, name="customer")
    browser.find_element(By.LINK_TEXT, "Reply").click()
    check(browser, name="reply")
    browser.find_element(By.NAME, "text").send_keys("Hi Anna, it's the owner: yes, it is still available!")
    _click(browser, "input[type=submit][value='Send reply']")
    assert "Reply to @anna_vintage_lover_2024 queued" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert Customer.objects.get(pk="anna-id").handoff_requested_at is None
    dramatiq_worker.drain()
    assert Message.objects.get(customer_id="anna-id", direction="outbound").state == "sent"  # it reached TikTok
    assert Order.objects.get(pk=order.pk).tracking_number == TRACKING


PHONE_PAGES = [
    "/admin/",
    "/admin/inventory/item/",
    "/admin/inventory/item/add/",
    "/admin/orders/order/",
    "/admin/orders/offer/",
    "/admin/conversations/customer/",
    "/admin/conversations/customer/bob-id/change/",
    "/admin/conversations/message/",
    "/admin/notifications/notification/",
    "/admin/tiktok/webhookevent/",
    "/admin/assistant/toolcall/",
    "/admin/auth/user/",
]


def test_every_page_the_owner_uses_fits_a_phone(browser_at, live_server, admin_user):
    shop = _the_shop()
    browser = browser_at(390)
    _log_in(browser, live_server, admin_user)

    item = make_item.__globals__["Item"].objects.get(sku="VNT-NIKE-WB-001")
    event = WebhookEvent.objects.get()
    for path in [
        *PHONE_PAGES,
        f"/admin/inventory/item/{item.pk}/change/",
        f"/admin/tiktok/webhookevent/{event.pk}/change/",
    ]:
        browser.get(live_server.url + path)
        assert browser.find_elements(By.ID, "content"), path
        assert_no_sideways_scroll(browser)

    browser.get(f"{live_server.url}/admin/orders/order/{shop['to_cancel'].pk}/change/")
    _click(browser, "button[value=cancel_orders]")
    assert "Their items go back on sale." in browser.find_element(By.CSS_SELECTOR, ".confirm-action").text
    assert_no_sideways_scroll(browser, name="confirm-cancel")
    browser.find_element(By.LINK_TEXT, "No, go back").click()
    assert Order.objects.get(pk=shop["to_cancel"].pk).status == "pending"


def test_the_owner_counters_an_offer_from_a_phone(browser_at, live_server, admin_user):
    _the_shop()
    offer = Offer.objects.get(item__sku="VNT-OFFER-009")
    browser = browser_at(390)
    _log_in(browser, live_server, admin_user)

    browser.get(f"{live_server.url}/admin/orders/offer/{offer.pk}/change/")
    assert_no_sideways_scroll(browser, name="offer-pending")
    _click(browser, "button[value=counter_offers]")
    assert_no_sideways_scroll(browser, name="counter-offer")
    amount = browser.find_element(By.NAME, f"counter_{offer.pk}")
    assert amount.get_attribute("value") == "48.00"  # prefilled with the piece's floor
    amount.clear()
    amount.send_keys("52")
    _click(browser, "input[type=submit][value='Send counter-offer']")

    assert browser.current_url == f"{live_server.url}/admin/orders/offer/{offer.pk}/change/"
    assert "Countered 1 offer(s)." in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert not browser.find_elements(By.CSS_SELECTOR, "button[value=counter_offers]")
    offer.refresh_from_db()
    assert (offer.status, offer.counter_amount) == (Offer.Status.COUNTERED, Decimal("52.00"))
    told = Message.objects.filter(customer_id="anna-id", direction="outbound").latest("pk").text
    assert "the owner can do $52.00" in told
