"""An item's photos: their rows and their stored files, added, replaced, moved and removed together.

The pictures themselves are checked and normalised by `inventory.photos`."""

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from inventory.models import Item, ItemPhoto
from inventory.photos import NormalisedPhoto, normalise_photo, store_photo

logger = logging.getLogger(__name__)


def add_photo(*, item: Item, photo: File | NormalisedPhoto, position: int | None = None) -> ItemPhoto:
    """Normalise (unless already done) and store a photo of `item`; `position` defaults to after the last one.

    Raises `ValidationError` when the file is not an image we can read. The file is written before the row;
    if the row cannot be written the file is deleted again.
    """
    normalised = photo if isinstance(photo, NormalisedPhoto) else normalise_photo(photo)
    storage = ItemPhoto._meta.get_field("image").storage
    image, thumbnail = store_photo(normalised, storage=storage)
    try:
        if position is None:
            last = item.photos.order_by("-position").values_list("position", flat=True).first()
            position = 0 if last is None else last + 1
        created = ItemPhoto.objects.create(
            item=item,
            image=image,
            thumbnail=thumbnail,
            width=normalised.width,
            height=normalised.height,
            position=position,
        )
    except BaseException:
        delete_files([image, thumbnail], storage=storage)
        raise
    logger.info("photo added", extra={"sku": item.sku, "photo": created.pk})
    return created


def replace_photo(*, photo: ItemPhoto, new: File | NormalisedPhoto) -> ItemPhoto:
    """Put a new picture in place of `photo` (same position); the old files are deleted once that is committed."""
    normalised = new if isinstance(new, NormalisedPhoto) else normalise_photo(new)
    storage = photo.image.storage
    old_files = [photo.image.name, photo.thumbnail.name]
    image, thumbnail = store_photo(normalised, storage=storage)
    photo.image, photo.thumbnail = image, thumbnail
    photo.width, photo.height = normalised.width, normalised.height
    try:
        photo.save(update_fields=["image", "thumbnail", "width", "height"])
    except BaseException:
        delete_files([image, thumbnail], storage=storage)
        raise
    transaction.on_commit(lambda: delete_files(old_files, storage=storage))
    return photo


def move_photo(*, photo: ItemPhoto, position: int) -> ItemPhoto:
    """Give a photo another place in its item's order (lower first)."""
    if position < 0:
        raise ValidationError({"position": "A photo's position is 0 or more."})
    photo.position = position
    photo.save(update_fields=["position"])
    return photo


def remove_photo(*, photo: ItemPhoto) -> None:
    """Delete a photo's row now and its files once that is committed (never a row pointing at a missing file)."""
    storage = photo.image.storage
    files = [photo.image.name, photo.thumbnail.name]
    photo.delete()
    transaction.on_commit(lambda: delete_files(files, storage=storage))
    logger.info("photo removed", extra={"item": photo.item_id, "files": files})


def photo_files_of(*, items: Iterable[Item]) -> list[str]:
    """The stored files (photos and thumbnails) of these items' photos: read before deleting the items."""
    names = ItemPhoto.objects.filter(item__in=items).values_list("image", "thumbnail")
    return [name for pair in names for name in pair]


def delete_files_after_commit(names: Sequence[str]) -> None:
    """Delete stored files once the current transaction commits (rows that pointed at them are gone by then)."""
    if names:
        storage = ItemPhoto._meta.get_field("image").storage
        transaction.on_commit(lambda: delete_files(names, storage=storage))


def delete_files(names: Iterable[str | None], *, storage: Any) -> None:
    """Delete these stored files, logging any that cannot be; a field with no file (None, "") has none to delete."""
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:  # a file left behind costs disk space, never a page; log it and carry on
            logger.exception("photo file not deleted", extra={"file": name})
