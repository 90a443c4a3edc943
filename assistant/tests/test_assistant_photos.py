""" "pics?": the item's first photo as an image when TikTok allows images in the conversation, else the item
page's link; a piece without photos is said to have none. Against the fake TikTok API; then one whole
conversation through the signed webhook and the Redis worker."""

from pathlib import Path
from typing import Any

import pytest

from assistant.services import Answer
from assistant.tests.assistant_support import say
from conversations.models import Customer, Message
from conversations.services import OutboundImage
from inventory.models import Item, ItemPhoto
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items, add_photo, move_photo
from inventory.tests.photo_support import jpeg_bytes, upload
from testing.tiktok import (
    CAPABILITIES_PATH,
    UPLOAD_PATH,
    Reply,
    conversation_id_for,
    error,
    im_receive_msg_body,
    new_message_id,
    post_webhook,
    user_id_for,
)
from tiktok.models import UploadedImage

TRUCKER = "VNT-LEVI-TRUC-015 · Levi's Type III Trucker Jacket · L · $85"
JEANS = "VNT-LEVI-501-003 · Levi's 501 Jeans · W32 L30 · $58"
HOLD_PROMPT = "\nAvailable! Say \"I'll take it\" and I'll hold it for you for 24 hours."


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def shop_url(settings) -> str:
    settings.SITE_URL = "https://shop.example/"
    return "https://shop.example"


def _photograph(sku: str, *colours: tuple[int, int, int]) -> list[ItemPhoto]:
    item = Item.objects.get(sku=sku)
    return [add_photo(item=item, photo=upload(jpeg_bytes(colour=colour))) for colour in colours]


def _pics_of_the_first_levis(customer: Customer) -> Answer:
    listed = say(customer, "any levis?")
    assert listed is not None and listed.text.splitlines()[1:3] == [TRUCKER, JEANS]
    answer = say(customer, "pics of the first one?")
    assert answer is not None
    return answer


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_where_images_are_allowed_the_first_photo_goes_before_a_short_text(stock, anna, fake_tiktok, shop_url):
    back, front = _photograph("VNT-LEVI-TRUC-015", (10, 10, 10), (200, 0, 0))
    move_photo(photo=front, position=0)
    move_photo(photo=back, position=1)
    say(anna, "any levis?")
    Message.objects.filter(customer=anna, direction="outbound").update(state="sent")  # answered: a SINGLE chat

    answer = say(anna, "pics of the first one?")

    assert answer.images == (OutboundImage(photo_id=front.pk, file_name=front.image.name),)
    assert answer.text == f"Here's {TRUCKER}. All its photos: {shop_url}/p/VNT-LEVI-TRUC-015/" + HOLD_PROMPT
    [check] = fake_tiktok.calls(CAPABILITIES_PATH)
    assert (check.query["conversation_id"], check.query["conversation_type"]) == (anna.conversation_id, "SINGLE")
    assert fake_tiktok.uploads == []  # the outbox uploads, when it sends


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_where_images_are_not_allowed_the_item_page_link_is_sent(stock, anna, fake_tiktok, shop_url):
    _photograph("VNT-LEVI-TRUC-015", (10, 10, 10))
    fake_tiktok.image_send_allowed = False

    answer = _pics_of_the_first_levis(anna)

    assert answer.images == ()
    assert answer.text == f"Photos of {TRUCKER}: {shop_url}/p/VNT-LEVI-TRUC-015/" + HOLD_PROMPT


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_when_the_capabilities_check_fails_the_link_is_sent(stock, anna, fake_tiktok, shop_url):
    _photograph("VNT-LEVI-TRUC-015", (10, 10, 10))
    fake_tiktok.script(CAPABILITIES_PATH, Reply(json=error(51065, "System error")))

    answer = _pics_of_the_first_levis(anna)

    assert answer.images == ()
    assert answer.text.startswith(f"Photos of {TRUCKER}: {shop_url}/p/VNT-LEVI-TRUC-015/")


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_a_piece_without_photos_is_said_to_have_none_and_the_owner_offered(stock, anna, fake_tiktok):
    answer = _pics_of_the_first_levis(anna)

    assert answer.images == ()
    assert answer.text == (
        f'I don\'t have photos of {TRUCKER} yet, sorry! The owner can take some for you: just say "human".'
        + HOLD_PROMPT
    )
    assert fake_tiktok.calls(CAPABILITIES_PATH) == []


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_a_piece_with_only_an_image_address_gets_its_page_link(stock, anna, fake_tiktok, shop_url):
    Item.objects.filter(sku="VNT-LEVI-TRUC-015").update(image_url="https://cdn.example/trucker.jpg")

    answer = _pics_of_the_first_levis(anna)

    assert answer.images == ()
    assert answer.text.startswith(f"Photos of {TRUCKER}: {shop_url}/p/VNT-LEVI-TRUC-015/")
    assert fake_tiktok.calls(CAPABILITIES_PATH) == []


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_pics_of_both_sends_each_ones_first_photo_and_asks_tiktok_once(stock, anna, fake_tiktok, shop_url):
    [trucker] = _photograph("VNT-LEVI-TRUC-015", (10, 10, 10))
    [jeans] = _photograph("VNT-LEVI-501-003", (0, 0, 200))
    say(anna, "any levis?")

    answer = say(anna, "pics of both?")

    assert [image.photo_id for image in answer.images] == [trucker.pk, jeans.pk]
    assert answer.text == (
        f"Here's {TRUCKER}. All its photos: {shop_url}/p/VNT-LEVI-TRUC-015/\n\n"
        f"Here's {JEANS}. All its photos: {shop_url}/p/VNT-LEVI-501-003/"
    )
    assert len(fake_tiktok.calls(CAPABILITIES_PATH)) == 1


@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_pics_while_holding_is_not_taken_by_the_photo_fast_path(stock, anna, fake_tiktok):
    _photograph("VNT-LEVI-TRUC-015", (10, 10, 10))
    say(anna, "any levis?")

    answer = say(anna, "I'll take the first one, any more pics?")

    assert answer.text.startswith("Done! VNT-LEVI-TRUC-015")
    assert Item.objects.get(sku="VNT-LEVI-TRUC-015").held_by_id == anna.pk


# --- The whole way: signed webhook → Redis worker → assistant → outbox → fake TikTok -------------------------


def _deliver(client: Any, worker: Any, text: str) -> None:
    response = post_webhook(client, im_receive_msg_body(text, user="anna", message_id=new_message_id()))
    assert response.status_code == 200, response.content
    worker.drain()


# transaction=True: the worker's threads must see committed rows.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tiktok_settings", "media_root")
def test_a_whole_conversation_gets_the_photo_before_the_text_and_uploads_it_once(
    client, dramatiq_worker, fake_tiktok, shop_url
):
    add_items(items=SEED_ITEMS)
    [photo] = _photograph("VNT-LEVI-TRUC-015", (10, 10, 10))

    _deliver(client, dramatiq_worker, "any levis?")
    _deliver(client, dramatiq_worker, "pics of the first one?")
    _deliver(client, dramatiq_worker, "can I see it again? pics pls")

    sends = [send for send in fake_tiktok.sends if send["recipient"] == conversation_id_for("anna")]
    [upload] = fake_tiktok.uploads
    media_id = UploadedImage.objects.get(file_name=photo.image.name).media_id
    assert [send["message_type"] for send in sends] == ["TEXT", "IMAGE", "TEXT", "IMAGE", "TEXT"]
    assert [send["image"]["media_id"] for send in sends if send["message_type"] == "IMAGE"] == [media_id, media_id]
    assert sends[2]["text"]["body"] == (
        f"Here's {TRUCKER}. All its photos: {shop_url}/p/VNT-LEVI-TRUC-015/" + HOLD_PROMPT
    )
    assert upload["content"] == photo.image.open("rb").read()
    assert len(fake_tiktok.calls(UPLOAD_PATH)) == 1
    assert len(fake_tiktok.calls(CAPABILITIES_PATH)) == 1  # the answer is kept for the conversation
    replies = Message.objects.filter(customer_id=user_id_for("anna"), direction="outbound").order_by("pk")
    assert [(m.content_type, m.state, m.photo_id) for m in replies] == [
        ("text", "sent", None),
        ("image", "sent", photo.pk),
        ("text", "sent", None),
        ("image", "sent", photo.pk),
        ("text", "sent", None),
    ]
    image_row, text_row = replies[1], replies[2]
    assert image_row.in_reply_to_id == text_row.in_reply_to_id
    assert image_row.sent_at <= text_row.sent_at
