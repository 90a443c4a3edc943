"""Image messages in the outbox: uploaded once per photo, sent before the answer's text, under the same rules."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.outbox import CustomerBusy, send_outbound_message
from conversations.services import OutboundImage, opt_out, queue_outbound_message
from philia.tests.factories import make_customer_who_wrote
from testing.tiktok import SEND_PATH, UPLOAD_PATH, Reply, error
from tiktok.models import UploadedImage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]

JPEG = b"\xff\xd8\xff\xe0 a stored photo \xff\xd9"


@pytest.fixture
def photo(settings, tmp_path: Path) -> OutboundImage:
    """A photo file in a temporary MEDIA_ROOT, as inventory stores one."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return OutboundImage(photo_id=7, file_name=default_storage.save("items/abc123.jpg", ContentFile(JPEG)))


def _answer(customer: Customer, image: OutboundImage, text: str = "Here's the jacket.") -> tuple[Message, Message]:
    """The assistant's answer to the customer's latest message: the photo, then the text, queued as intake does."""
    latest = customer.messages.filter(direction="inbound").order_by("-created_at").first()
    picture = queue_outbound_message(customer=customer, image=image, role="assistant", in_reply_to=latest)
    words = queue_outbound_message(customer=customer, text=text, role="assistant", in_reply_to=latest)
    return picture, words


def _media_ids_sent(fake_tiktok) -> list[str]:
    return [call.json["image"]["media_id"] for call in fake_tiktok.calls(SEND_PATH) if "image" in call.json]


def test_an_image_message_uploads_the_photo_then_sends_it_as_an_image(fake_tiktok, photo):
    picture, _ = _answer(make_customer_who_wrote(), photo)

    result = send_outbound_message(message_id=picture.pk)

    assert (result.state, result.content_type, result.text, result.photo_id) == ("sent", "image", "", 7)
    [upload] = fake_tiktok.uploads
    assert (upload["file_name"], upload["content"], upload["media_type"]) == ("abc123.jpg", JPEG, "IMAGE")
    assert fake_tiktok.sends == [
        {
            "business_id": "biz-open-id",
            "recipient_type": "CONVERSATION",
            "recipient": "conv-anna",
            "message_type": "IMAGE",
            "image": {"media_id": upload_media_id(fake_tiktok)},
        }
    ]


def upload_media_id(fake_tiktok) -> str:
    return UploadedImage.objects.get().media_id


def test_the_same_photo_is_uploaded_once_and_its_media_id_reused(fake_tiktok, photo):
    customer = make_customer_who_wrote()
    first, words = _answer(customer, photo)
    send_outbound_message(message_id=first.pk)
    send_outbound_message(message_id=words.pk)  # the whole first answer goes before the second
    Message.objects.create(
        customer=customer, role="user", direction="inbound", text="pics again?", tiktok_message_id="in-9"
    )
    second, _ = _answer(customer, photo)

    assert send_outbound_message(message_id=second.pk).state == "sent"

    assert len(fake_tiktok.uploads) == 1
    media_id = UploadedImage.objects.get(file_name=photo.file_name).media_id
    assert _media_ids_sent(fake_tiktok) == [media_id, media_id]


def test_a_remembered_media_id_tiktok_refuses_as_expired_is_uploaded_again_once(fake_tiktok, photo):
    UploadedImage.objects.create(file_name=photo.file_name, media_id="expired-media-id")
    picture, _ = _answer(make_customer_who_wrote(), photo)

    result = send_outbound_message(message_id=picture.pk)

    assert result.state == "sent"
    [upload] = fake_tiktok.uploads
    new_id = UploadedImage.objects.get(file_name=photo.file_name).media_id
    assert new_id != "expired-media-id"
    assert _media_ids_sent(fake_tiktok) == ["expired-media-id", new_id]
    assert [call.answered_code for call in fake_tiktok.calls(SEND_PATH)] == [40002, 0]


def test_a_new_upload_refused_too_fails_the_message_after_one_re_upload(fake_tiktok, photo):
    UploadedImage.objects.create(file_name=photo.file_name, media_id="expired-media-id")
    fake_tiktok.script(SEND_PATH, Reply(json=error(40002, "Invalid media_id.")), Reply(json=error(40002, "Bad image.")))
    picture, _ = _answer(make_customer_who_wrote(), photo)

    result = send_outbound_message(message_id=picture.pk)

    assert (result.state, result.error_code, result.error) == ("failed", "40002", "Bad image.")
    assert len(fake_tiktok.uploads) == 1
    assert len(fake_tiktok.calls(SEND_PATH)) == 2


def test_a_just_uploaded_photo_refused_is_not_uploaded_again(fake_tiktok, photo):
    fake_tiktok.script(SEND_PATH, Reply(json=error(40002, "Bad image.")))
    picture, _ = _answer(make_customer_who_wrote(), photo)

    result = send_outbound_message(message_id=picture.pk)

    assert (result.state, result.error_code) == ("failed", "40002")
    assert len(fake_tiktok.uploads) == 1
    assert len(fake_tiktok.calls(SEND_PATH)) == 1


def test_other_refusals_of_a_remembered_id_are_not_re_uploads(fake_tiktok, photo):
    UploadedImage.objects.create(file_name=photo.file_name, media_id="expired-media-id")
    fake_tiktok.script(SEND_PATH, Reply(json=error(40064, "Blocked by messaging rules.")))
    picture, _ = _answer(make_customer_who_wrote(), photo)

    assert send_outbound_message(message_id=picture.pk).error_code == "40064"
    assert fake_tiktok.uploads == []


def test_a_throttled_upload_puts_the_image_back_in_the_queue(fake_tiktok, photo):
    from conversations.outbox import SendLater

    fake_tiktok.script(UPLOAD_PATH, Reply(json=error(40100, "Too many requests")))
    picture, _ = _answer(make_customer_who_wrote(), photo)

    with pytest.raises(SendLater):
        send_outbound_message(message_id=picture.pk)

    picture.refresh_from_db()
    assert (picture.state, picture.attempts, picture.error_code) == ("queued", 1, "40100")
    assert send_outbound_message(message_id=picture.pk).state == "sent"
    assert len(fake_tiktok.sends) == 1


def test_the_text_waits_for_the_photo_before_it_and_follows_it(fake_tiktok, photo, django_capture_on_commit_callbacks):
    picture, words = _answer(make_customer_who_wrote(), photo)
    Message.objects.filter(pk=picture.pk).update(state="sending", sending_started_at=timezone.now())  # being sent

    with pytest.raises(CustomerBusy):  # the text's job comes back once the photo has gone
        send_outbound_message(message_id=words.pk)
    assert fake_tiktok.calls(SEND_PATH) == []

    Message.objects.filter(pk=picture.pk).update(state="queued")
    with django_capture_on_commit_callbacks() as callbacks:
        send_outbound_message(message_id=picture.pk)
    # The photo, once sent, hands on to the text.
    assert [callback.args for callback in callbacks] == [("send_message", words.pk, words.customer_id)]
    assert send_outbound_message(message_id=words.pk).state == "sent"
    assert [send["message_type"] for send in fake_tiktok.sends] == ["IMAGE", "TEXT"]


def test_the_text_s_job_running_first_sends_the_photo_first(fake_tiktok, photo):
    picture, words = _answer(make_customer_who_wrote(), photo)

    first = send_outbound_message(message_id=words.pk)
    second = send_outbound_message(message_id=picture.pk)

    assert (first.pk, first.state, second.pk, second.state) == (picture.pk, "sent", words.pk, "sent")
    assert [send["message_type"] for send in fake_tiktok.sends] == ["IMAGE", "TEXT"]


def test_a_photo_that_could_not_go_still_lets_the_text_go(fake_tiktok, photo, django_capture_on_commit_callbacks):
    picture, words = _answer(make_customer_who_wrote(), photo)
    default_storage.delete(photo.file_name)

    with django_capture_on_commit_callbacks() as callbacks:
        result = send_outbound_message(message_id=picture.pk)

    assert (result.state, result.error_code) == ("failed", "photo_missing")
    assert result.error == f"The photo {photo.file_name} is no longer stored."
    assert ("send_message", words.pk, words.customer_id) in [callback.args for callback in callbacks]
    assert send_outbound_message(message_id=words.pk).state == "sent"
    assert [send["message_type"] for send in fake_tiktok.sends] == ["TEXT"]


def test_an_image_after_the_window_closed_is_blocked_like_any_reply(fake_tiktok, photo):
    picture, words = _answer(make_customer_who_wrote(wrote_ago=timedelta(hours=49)), photo)

    result = send_outbound_message(message_id=picture.pk)

    assert result.state == "blocked"
    assert result.error.startswith("The 48-hour reply window closed at ")
    assert send_outbound_message(message_id=words.pk).state == "blocked"
    assert fake_tiktok.requests == []


def test_an_image_counts_against_the_quota_after_a_first_message(fake_tiktok, photo, settings):
    settings.TIKTOK_QUOTA_FIRST_MESSAGE = 2
    customer = make_customer_who_wrote(messages=1)
    Message.objects.create(
        customer=customer, role="assistant", direction="outbound", state="sent", text="Hi!", sent_at=timezone.now()
    )
    picture, words = _answer(customer, photo)

    assert send_outbound_message(message_id=picture.pk).state == "sent"
    result = send_outbound_message(message_id=words.pk)

    assert result.state == "blocked"
    assert result.error.startswith("Quota used up: 2 of 2 messages")


def test_an_image_for_a_customer_who_sent_stop_is_blocked(fake_tiktok, photo):
    customer = make_customer_who_wrote()
    picture, words = _answer(customer, photo)
    opt_out(customer=customer)

    result = send_outbound_message(message_id=picture.pk)

    assert (result.state, result.error) == ("blocked", "The customer opted out of automated messages (STOP).")
    assert fake_tiktok.requests == []


def test_without_an_access_token_the_image_is_a_dry_run_and_nothing_is_uploaded(fake_tiktok, photo, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""
    picture, _ = _answer(make_customer_who_wrote(), photo)

    assert send_outbound_message(message_id=picture.pk).state == "dry_run"
    assert fake_tiktok.requests == []


def test_an_answer_queues_each_photo_once(photo):
    customer = make_customer_who_wrote()
    first, _ = _answer(customer, photo)
    again, _ = _answer(customer, photo)

    assert again.pk == first.pk
    assert Message.objects.filter(direction="outbound").count() == 2
