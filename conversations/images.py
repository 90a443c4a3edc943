"""Sending an image message through TikTok: the photo is uploaded once per file (its media id remembered) and
sent; a remembered media id TikTok no longer knows is uploaded again once."""

import logging

from django.conf import settings
from django.core.files.storage import default_storage

from conversations.models import Message
from tiktok.client import TikTokClient, TikTokRejected
from tiktok.services import media_id_for

logger = logging.getLogger(__name__)


class PhotoMissing(Exception):
    """The photo file of an image message is no longer stored (the photo was replaced or deleted)."""


def send_image(*, client: TikTokClient, message: Message, conversation_id: str) -> str:
    """Upload the photo unless TikTok has it already, then send it. A remembered media id TikTok refuses
    (expired after about 30 days) is uploaded again once."""

    def read() -> bytes:
        try:
            with default_storage.open(message.image_name, "rb") as file:
                return file.read()
        except OSError as error:  # FileNotFoundError, or the storage backend's own
            raise PhotoMissing(f"The photo {message.image_name} is no longer stored.") from error

    media_id, remembered = media_id_for(client=client, file_name=message.image_name, read=read)
    try:
        return client.send_image(
            business_id=settings.TIKTOK_BUSINESS_ID, conversation_id=conversation_id, media_id=media_id
        )
    except TikTokRejected as error:
        if not remembered or error.code not in settings.TIKTOK_MEDIA_EXPIRED_CODES:
            raise
        logger.info(
            "tiktok refused a remembered media id; uploading the photo again",
            extra={"message_id": message.pk, "code": error.code},
        )
    media_id, _ = media_id_for(client=client, file_name=message.image_name, read=read, upload_again=True)
    return client.send_image(
        business_id=settings.TIKTOK_BUSINESS_ID, conversation_id=conversation_id, media_id=media_id
    )
