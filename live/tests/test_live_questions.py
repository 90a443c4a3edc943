"""While a stream is live, "size?", "measurements?", "how much?", "price?", "pics?" naming no piece are about the
piece on screen when the DM was written, answered with that piece's details as the assistant gives any piece's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant.wording import WHICH_ONE
from inventory.models import DropClaim, Item
from live import services
from live.models import Stream
from live.tests.test_live_claims import viewer, write
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def stream() -> Stream:
    make_item("VNT-LIVE-001", name="Red Varsity Jacket", price="120.00", size_label="L")
    make_item(
        "VNT-LIVE-002",
        name="Levi's 550 Jeans",
        price="60.00",
        size_label="32",
        measurements={"waist": 32, "inseam": 30},
    )
    scheduled = services.schedule_stream(title="Friday live", skus=["VNT-LIVE-001", "VNT-LIVE-002"])
    return services.start_stream(stream_id=scheduled.pk)


AVAILABLE = "Available! Say \"I'll take it\" and I'll hold it for you for 24 hours."
JACKET = f"VNT-LIVE-001 · Red Varsity Jacket · L · $120\nCondition: good.\n{AVAILABLE}"
JEANS = (
    f"VNT-LIVE-002 · Levi's 550 Jeans · 32 · $60\nCondition: good.\n"
    f'Measurements (flat, inches): waist 32", inseam 30".\n{AVAILABLE}'
)


@pytest.mark.parametrize(
    "text", ["size?", "Measurements?", "how much?", "price?", "what size is it", "how much is this one??"]
)
def test_a_question_is_answered_about_the_piece_on_screen_when_it_was_written(stream, text):
    start = timezone.now() - timedelta(minutes=1)
    services.next_piece(stream_id=stream.pk, now=start)
    services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=20))

    _, early = write(viewer("anna"), text, at=start + timedelta(seconds=5), message_id="early")
    _, late = write(viewer("ben"), text, at=start + timedelta(seconds=25), message_id="late")

    assert early == JACKET
    assert late == JEANS
    assert DropClaim.objects.count() == 0


def test_pics_sends_the_photo_link_of_the_piece_on_screen(stream, settings):
    settings.SITE_URL = "https://philia.example"
    Item.objects.filter(sku="VNT-LIVE-002").update(image_url="https://cdn.example/jeans.jpg")
    shown = services.next_piece(stream_id=stream.pk, sku="VNT-LIVE-002")

    _, reply = write(viewer("anna"), "pics?", at=shown.span.shown_from + timedelta(seconds=2))

    assert reply == (
        f"Photos of VNT-LIVE-002 · Levi's 550 Jeans · 32 · $60: https://philia.example/p/VNT-LIVE-002/\n{AVAILABLE}"
    )


def test_with_nothing_on_screen_a_question_gets_the_usual_answer(stream):
    _, reply = write(viewer("anna"), "how much?", at=timezone.now())

    assert reply == WHICH_ONE
    assert DropClaim.objects.count() == 0


def test_a_question_naming_another_piece_is_about_that_piece(stream):
    make_item("VNT-CARH-001", name="Carhartt Detroit Jacket", price="150.00", size_label="M")
    shown = services.next_piece(stream_id=stream.pk)

    _, reply = write(viewer("anna"), "how much is VNT-CARH-001?", at=shown.span.shown_from + timedelta(seconds=2))

    assert reply.startswith("VNT-CARH-001 · Carhartt Detroit Jacket · M · $150\n")
