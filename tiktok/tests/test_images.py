"""Images on TikTok's side: the capabilities check per conversation (cached, failing safe) and uploads once per
photo file, against the fake Business Messaging API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.tiktok import CAPABILITIES_PATH, TEST_ACCESS_TOKEN, TEST_BUSINESS_ID, UPLOAD_PATH, Reply, error
from tiktok.client import TikTokClient, TikTokRejected, TikTokRetryableError
from tiktok.models import ConversationCapability, UploadedImage
from tiktok.services import image_send_allowed, media_id_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]


def test_capabilities_check_asks_tiktok_for_image_send_in_this_conversation(fake_tiktok):
    assert image_send_allowed(conversation_id="conv+anna==", business_has_replied=True) is True

    [call] = fake_tiktok.calls(CAPABILITIES_PATH)
    assert call.method == "GET"
    assert call.headers["Access-Token"] == TEST_ACCESS_TOKEN
    assert call.query == {
        "business_id": TEST_BUSINESS_ID,
        "capability_types": '["IMAGE_SEND"]',
        "conversation_id": "conv+anna==",
        "conversation_type": "SINGLE",
    }


def test_a_conversation_the_shop_never_answered_is_checked_as_a_stranger(fake_tiktok):
    image_send_allowed(conversation_id="conv-anna", business_has_replied=False)

    assert fake_tiktok.calls(CAPABILITIES_PATH)[0].query["conversation_type"] == "STRANGER"


def test_a_region_without_images_is_told_apart(fake_tiktok):
    fake_tiktok.image_send_allowed = False

    assert image_send_allowed(conversation_id="conv-anna", business_has_replied=True) is False
    assert ConversationCapability.objects.get(conversation_id="conv-anna").image_send is False


def test_the_answer_is_kept_per_conversation_for_the_cache_hours(fake_tiktok, settings):
    settings.TIKTOK_CAPABILITIES_CACHE_HOURS = 24
    now = timezone.now()
    image_send_allowed(conversation_id="conv-anna", business_has_replied=True, now=now)
    fake_tiktok.image_send_allowed = False

    within = image_send_allowed(conversation_id="conv-anna", business_has_replied=True, now=now + timedelta(hours=23))
    other = image_send_allowed(conversation_id="conv-ben", business_has_replied=True, now=now + timedelta(hours=23))
    later = image_send_allowed(conversation_id="conv-anna", business_has_replied=True, now=now + timedelta(hours=25))

    assert (within, other, later) == (True, False, False)
    assert [call.query["conversation_id"] for call in fake_tiktok.calls(CAPABILITIES_PATH)] == [
        "conv-anna",
        "conv-ben",
        "conv-anna",
    ]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(json=error(40001, "No permission")),
        Reply(json=error(51065, "System error")),
        Reply(status=500, body=b"oops"),
        Reply(status=200, body=b"not json"),
        Reply(json={"code": 0, "message": "OK", "data": {"capability_infos": "nonsense"}}),
    ],
)
def test_a_failing_check_means_links_only_and_is_not_remembered(fake_tiktok, reply):
    fake_tiktok.script(CAPABILITIES_PATH, reply)

    assert image_send_allowed(conversation_id="conv-anna", business_has_replied=True) is False
    assert image_send_allowed(conversation_id="conv-anna", business_has_replied=True) is True
    assert len(fake_tiktok.calls(CAPABILITIES_PATH)) == 2


def test_a_slow_check_times_out_to_links_only(fake_tiktok, settings):
    settings.TIKTOK_HTTP_TIMEOUT = (0.5, 0.3)
    fake_tiktok.script(CAPABILITIES_PATH, Reply(delay=1.0))

    assert image_send_allowed(conversation_id="conv-anna", business_has_replied=True) is False
    assert not ConversationCapability.objects.exists()


def test_without_an_access_token_no_check_is_made_and_links_are_sent(fake_tiktok, settings):
    settings.TIKTOK_ACCESS_TOKEN = ""

    assert image_send_allowed(conversation_id="conv-anna", business_has_replied=True) is False
    assert fake_tiktok.calls(CAPABILITIES_PATH) == []


def test_an_upload_is_multipart_with_the_business_id_and_the_file(fake_tiktok):
    client = TikTokClient(access_token=TEST_ACCESS_TOKEN)

    media_id = client.upload_image(business_id=TEST_BUSINESS_ID, file_name="abc.jpg", content=b"\xff\xd8jpeg")

    [upload] = fake_tiktok.uploads
    assert media_id.startswith("fake-media-")
    assert upload == {
        "business_id": TEST_BUSINESS_ID,
        "media_type": "IMAGE",
        "file_name": "abc.jpg",
        "content_type": "image/jpeg",
        "content": b"\xff\xd8jpeg",
    }
    assert fake_tiktok.calls(UPLOAD_PATH)[0].headers["Access-Token"] == TEST_ACCESS_TOKEN


def test_an_upload_answer_without_a_media_id_is_a_refusal(fake_tiktok):
    fake_tiktok.script(UPLOAD_PATH, Reply(json={"code": 0, "message": "OK", "data": {}}))

    with pytest.raises(TikTokRejected, match="no_media_id"):
        TikTokClient(access_token=TEST_ACCESS_TOKEN).upload_image(
            business_id=TEST_BUSINESS_ID, file_name="a.jpg", content=b"x"
        )


def test_a_throttled_upload_is_retryable(fake_tiktok):
    fake_tiktok.script(UPLOAD_PATH, Reply(json=error(40100, "Too many requests")))

    with pytest.raises(TikTokRetryableError):
        TikTokClient(access_token=TEST_ACCESS_TOKEN).upload_image(
            business_id=TEST_BUSINESS_ID, file_name="a.jpg", content=b"x"
        )


def test_a_photo_file_is_uploaded_once_and_its_media_id_reused(fake_tiktok) -> None:
    client = TikTokClient(access_token=TEST_ACCESS_TOKEN)
    reads: list[str] = []

    def read() -> bytes:
        reads.append("read")
        return b"jpeg bytes"

    first = media_id_for(client=client, file_name="items/abc.jpg", read=read)
    second = media_id_for(client=client, file_name="items/abc.jpg", read=read)
    other = media_id_for(client=client, file_name="items/def.jpg", read=read)

    assert second == (first[0], True)
    assert first[1] is False and other[1] is False and other[0] != first[0]
    assert [upload["file_name"] for upload in fake_tiktok.uploads] == ["abc.jpg", "def.jpg"]
    assert reads == ["read", "read"]


def test_a_media_id_older_than_tiktok_keeps_it_is_uploaded_again(fake_tiktok, settings):
    settings.TIKTOK_MEDIA_ID_MAX_AGE_DAYS = 29
    UploadedImage.objects.create(
        file_name="items/abc.jpg", media_id="old-id", uploaded_at=timezone.now() - timedelta(days=30)
    )

    media_id, remembered = media_id_for(
        client=TikTokClient(access_token=TEST_ACCESS_TOKEN), file_name="items/abc.jpg", read=lambda: b"jpeg"
    )

    assert remembered is False and media_id.startswith("fake-media-")
    assert UploadedImage.objects.get(file_name="items/abc.jpg").media_id == media_id
