"""A stream's figures (`selectors.stream_figures`): pieces shown, claimed, won, paid, revenue, claim-to-paid rate,
median time from a claim's receipt to the reply telling its writer, and how many viewers claimed; on the stream's
page and on Today."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By

from conversations.models import Message
from inventory.models import DropClaim
from live import selectors, services
from live.models import Stream
from live.tests.test_live_claims import settle, viewer, write
from orders.payments import mark_paid
from orders.services import place_order
from philia.tests.factories import make_item
from testing.browser import assert_no_sideways_scroll

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def sold_stream() -> Stream:
    """Four lots: lot 1 claimed by anna then ben (anna wins, pays), lot 2 by cleo (wins, has not paid), lot 3 shown
    with no claim, lot 4 never shown. The replies went out 1, 2 and 4 seconds after each claim was received."""
    for number, price in ((1, "120.00"), (2, "60.00"), (3, "90.00"), (4, "30.00")):
        make_item(f"VNT-LIVE-00{number}", name=f"Piece {number}", price=price)
    scheduled = services.schedule_stream(title="Friday live", skus=[f"VNT-LIVE-00{n}" for n in range(1, 5)])
    stream = services.start_stream(stream_id=scheduled.pk)
    start = timezone.now() - timedelta(minutes=5)
    anna, ben, cleo = viewer("anna"), viewer("ben"), viewer("cleo")
    services.next_piece(stream_id=stream.pk, now=start)
    write(anna, "mine", at=start + timedelta(seconds=1))
    write(ben, "mine", at=start + timedelta(seconds=2))
    services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=30))
    write(cleo, "sold", at=start + timedelta(seconds=31))
    services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=60))
    settle("VNT-LIVE-001")
    settle("VNT-LIVE-002")
    for claim, delay in zip(DropClaim.objects.order_by("written_at_ms"), (1, 2, 4), strict=True):
        assert claim.received_at is not None  # settled
        Message.objects.filter(in_reply_to=claim.message).update(
            state="sent", sent_at=claim.received_at + timedelta(seconds=delay)
        )
    mark_paid(order=place_order(customer=anna))
    place_order(customer=cleo)
    return stream


def test_figures_count_pieces_claims_wins_payments_and_answer_times(sold_stream, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        figures = selectors.stream_figures(stream_id=sold_stream.pk)

    assert figures == selectors.StreamFigures(
        shown=3,
        claimed=2,
        won=2,
        paid=1,
        revenue=Decimal("120.00"),
        claimants=3,
        median_answer=timedelta(seconds=2),
    )
    assert (figures.claim_to_paid, figures.median_answer_seconds) == (0.5, 2.0)


def test_a_stream_with_nothing_shown_has_empty_figures():
    make_item("VNT-LIVE-001")
    stream = services.schedule_stream(title="Later", skus=["VNT-LIVE-001"])

    figures = selectors.stream_figures(stream_id=stream.pk)

    assert figures == selectors.StreamFigures(0, 0, 0, 0, Decimal("0.00"), 0, None)
    assert figures.claim_to_paid is None


def test_the_stream_page_and_today_show_the_figures(sold_stream, admin_client):
    page = admin_client.get(reverse("admin:live_stream_change", args=[sold_stream.pk])).content.decode()
    today = admin_client.get(reverse("admin:index")).content.decode()

    for html in (page, today):
        assert '<dd id="live-figure-shown">3</dd>' in html
        assert '<dd id="live-figure-claimed">2</dd>' in html
        assert '<dd id="live-figure-won">2</dd>' in html
        assert '<dd id="live-figure-paid">1</dd>' in html
        assert '<dd id="live-figure-revenue">$120.00</dd>' in html
        assert '<dd id="live-figure-claim-to-paid">50%</dd>' in html
        assert '<dd id="live-figure-answer">2.0 s</dd>' in html
        assert '<dd id="live-figure-claimants">3</dd>' in html
    assert "Friday live" in today


# transaction=True: the live server answers from another thread, which must see the rows this test commits.
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_today_with_the_streams_figures_fits_a_phone(sold_stream, browser_at, live_server, admin_user):
    browser = browser_at(390)
    browser.get(live_server.url + "/admin/login/?next=" + reverse("admin:index"))
    browser.find_element(By.ID, "id_username").send_keys(admin_user.username)
    browser.find_element(By.ID, "id_password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    assert browser.find_element(By.ID, "live-figure-claim-to-paid").text == "50%"
    assert browser.find_element(By.ID, "live-figure-answer").is_displayed()
    assert_no_sideways_scroll(browser, name="today-live-figures")
