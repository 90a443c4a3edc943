"""Writes to the stock. Every change to an item's status or hold goes through here (orders call
`sell_items` and `put_back_on_sale` inside their own transactions)."""

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from conversations.models import Customer
from inventory.exceptions import (
    HoldLimitReached,
    InvalidHoldLength,
    InvalidItemStatusChange,
    ItemNotFound,
    ItemNotHeld,
    ItemUnavailable,
    NotHeldBy,
)
from inventory.locks import lock_items
from inventory.models import Item, ItemPhoto
from inventory.photos import NormalisedPhoto, normalise_photo, store_photo
from inventory.selectors import current_holds

logger = logging.getLogger(__name__)

MAX_HOLD_HOURS = 24 * 14


def reserve_item(*, sku: str, customer: Customer, hours: int | None = None, now: datetime | None = None) -> Item:
    """Hold one item for a customer.

    Locks the customer row, then the item row (`FOR NO KEY UPDATE`), so two buyers of the same item
    are served one after the other and exactly one wins. Holding an item you already hold again
    extends the hold (never shortens it). Raises `InvalidHoldLength`, `ItemNotFound`, `ItemUnavailable`
    or `HoldLimitReached`, and then changes nothing.
    """
    hours = settings.HOLD_HOURS if hours is None else hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 < hours <= MAX_HOLD_HOURS:
        raise InvalidHoldLength(hours, MAX_HOLD_HOURS)
    with transaction.atomic():
        # The customer row serialises one customer's holds, so the hold limit cannot be raced past.
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        item = lock_items(skus=[sku]).first()
        now = now or timezone.now()
        if item is None:
            raise ItemNotFound(sku)
        hold_is_current = item.status == Item.Status.RESERVED and item.held_until > now
        extends_own_hold = hold_is_current and item.held_by_id == customer.pk
        if item.status in (Item.Status.SOLD, Item.Status.HIDDEN) or (hold_is_current and not extends_own_hold):
            raise ItemUnavailable(item.sku, item.status, item.held_until)
        # Taking an item back after one's own hold ran out is a new hold: it counts against the limit.
        limit = settings.MAX_HOLDS_PER_CUSTOMER
        if not extends_own_hold and current_holds(customer=customer, now=now).count() >= limit:
            raise HoldLimitReached(limit)
        held_until = now + timedelta(hours=hours)
        if extends_own_hold:
            held_until = max(held_until, item.held_until)
        item.status = Item.Status.RESERVED
        item.held_by = customer
        item.held_until = held_until
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
    logger.info("item held", extra={"sku": item.sku, "customer": customer.pk, "held_until": item.held_until})
    return item


def release_hold(*, sku: str, by: Customer | None = None) -> Item:
    """Put a held item back on sale. `by=None` is staff; a customer may only release their own hold.

    Locks the item row. Raises `ItemNotFound`, `ItemNotHeld` or `NotHeldBy`.
    """
    with transaction.atomic():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        if item.status != Item.Status.RESERVED:
            raise ItemNotHeld(item.sku)
        if by is not None and item.held_by_id != by.pk:
            raise NotHeldBy(item.sku)
        holder = item.held_by_id
        item.status = Item.Status.AVAILABLE
        item.held_by = None
        item.held_until = None
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
    logger.info("hold released", extra={"sku": item.sku, "customer": holder, "by_staff": by is None})
    return item


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Put every item whose hold has run out back on sale; returns how many. Idempotent.

    Locks the expired rows in primary-key order, skipping rows another transaction has locked (a
    reserve or an order deciding about that very item; the next sweep sees what it left), so the sweep
    never waits on, nor deadlocks with, a buyer.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired_ids = list(
            Item.objects.filter(status=Item.Status.RESERVED, held_until__lte=now)
            .select_for_update(no_key=True, skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        released = Item.objects.filter(pk__in=expired_ids).update(
            status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=timezone.now()
        )
    if released:
        logger.info("expired holds released", extra={"count": released})
    return released


def sell_items(*, item_ids: Iterable[int], customer: Customer, now: datetime | None = None) -> list[Item]:
    """Mark items the customer holds as sold (the hold ends); returns them locked, in primary-key order.

    Locks the item rows (`FOR NO KEY UPDATE`, primary-key order) and checks each is still held by this
    customer with the hold current; otherwise raises `NotHeldBy` and changes nothing. Called by
    `orders.place_order` inside its transaction, after it has locked the customer row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        items = list(lock_items(ids=item_ids))
        for item in items:
            if item.status != Item.Status.RESERVED or item.held_by_id != customer.pk or item.held_until <= now:
                raise NotHeldBy(item.sku)
        Item.objects.filter(pk__in=[item.pk for item in items]).update(
            status=Item.Status.SOLD, held_by=None, held_until=None, updated_at=now
        )
        for item in items:
            item.status, item.held_by, item.held_until, item.updated_at = Item.Status.SOLD, None, None, now
    logger.info("items sold", extra={"skus": [item.sku for item in items], "customer": customer.pk})
    return items


def put_back_on_sale(*, item_ids: Iterable[int]) -> int:
    """Put sold items back on sale (sold → available; a cancelled order's items); returns how many.

    Locks the item rows in primary-key order; items that are not sold are left as they are. Called by
    `orders.cancel_order` inside its transaction, after it has locked the order row.
    """
    item_ids = list(item_ids)
    with transaction.atomic():
        list(lock_items(ids=item_ids))
        returned = Item.objects.filter(pk__in=item_ids, status=Item.Status.SOLD).update(
            status=Item.Status.AVAILABLE, updated_at=timezone.now()
        )
    if returned:
        logger.info("items back on sale", extra={"count": returned})
    return returned


def lock_item_open_to(*, sku: str, customer: Customer, now: datetime | None = None) -> Item:
    """The item, locked, when this customer could buy it: on sale, or held by them (or by nobody any more).

    Locks the item row; call inside the caller's transaction, which keeps the lock. Raises `ItemNotFound`,
    or `ItemUnavailable` for an item sold, hidden or held by someone else. Changes nothing.
    """
    item = lock_items(skus=[sku]).first()
    if item is None:
        raise ItemNotFound(sku)
    now = now or timezone.now()
    held_by_someone_else = (
        item.status == Item.Status.RESERVED and item.held_by_id != customer.pk and item.held_until > now
    )
    if item.status in (Item.Status.SOLD, Item.Status.HIDDEN) or held_by_someone_else:
        raise ItemUnavailable(item.sku, item.status, item.held_until)
    return item


def hide_item(*, sku: str) -> Item:
    """Take an item on sale off the shop (available → hidden). Locks the item row.

    Raises `ItemNotFound`, or `InvalidItemStatusChange` for a held or sold item (release or cancel first).
    """
    return _change_status(sku=sku, expected=Item.Status.AVAILABLE, new=Item.Status.HIDDEN, action="hidden")


def unhide_item(*, sku: str) -> Item:
    """Put a hidden item back on sale (hidden → available). Locks the item row.

    Raises `ItemNotFound`, or `InvalidItemStatusChange` when the item is not hidden.
    """
    return _change_status(sku=sku, expected=Item.Status.HIDDEN, new=Item.Status.AVAILABLE, action="put on sale")


def _change_status(*, sku: str, expected: str, new: str, action: str) -> Item:
    with transaction.atomic():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        if item.status != expected:
            raise InvalidItemStatusChange(item.sku, item.get_status_display().lower(), action)
        item.status = new
        item.save(update_fields=["status", "updated_at"])
    logger.info("item status changed", extra={"sku": item.sku, "status": new})
    return item


def add_items(*, items: Iterable[Mapping[str, Any]]) -> list[Item]:
    """Put new pieces in stock, on sale; returns the items created. Idempotent per SKU.

    An item whose SKU (case-insensitively) is already in stock is left exactly as it is: held, sold or
    edited by staff. Every new item is validated first (`ValidationError`), so a bad one creates none.
    One transaction; the SKU constraint backs the check up if two callers race.
    """
    candidates = [Item(**fields) for fields in items]
    with transaction.atomic():
        # Only the SKUs being added are looked up (the upper(sku) unique index answers it), not the whole stock.
        wanted = [item.sku.strip().upper() for item in candidates]
        known_skus = set(
            Item.objects.annotate(sku_upper=Upper("sku"))
            .filter(sku_upper__in=wanted)
            .values_list("sku_upper", flat=True)
        )
        new_items = []
        for item in candidates:
            item.sku = item.sku.strip()
            if item.sku.upper() in known_skus:
                continue
            item.status, item.held_by, item.held_until = Item.Status.AVAILABLE, None, None
            item.full_clean()
            known_skus.add(item.sku.upper())
            new_items.append(item)
        Item.objects.bulk_create(new_items)
    if new_items:
        logger.info("items added", extra={"skus": [item.sku for item in new_items]})
    return new_items


def clear_stock() -> dict[str, int]:
    """Delete every item (`seed --clear`); returns how many. Raises `ProtectedError` while an order line
    still refers to one (clear the orders first)."""
    with transaction.atomic():
        _, deleted = Item.objects.all().delete()
    return {"items": deleted.get(Item._meta.label, 0)}


# --- New pieces, SKUs and photos -------------------------------------------------------------------

# What describes a piece; the rest of an item (status, hold, times) is the shop's state, not its description.
DESCRIPTIVE_FIELDS = (
    "sku", "name", "description", "brand", "category", "colour", "era", "price", "size_label", "measurements",
    "condition", "image_url",
)  # fmt: skip
SKU_PREFIX = "VNT"
CATEGORY_CODES = {
    Item.Category.JACKET: "JKT",
    Item.Category.SWEATSHIRT: "SWT",
    Item.Category.SWEATER: "KNIT",
    Item.Category.SHIRT: "SHRT",
    Item.Category.TSHIRT: "TEE",
    Item.Category.JEANS: "JEAN",
    Item.Category.TROUSERS: "TRS",
    Item.Category.SHORTS: "SHRTS",
    Item.Category.DRESS: "DRS",
    Item.Category.SKIRT: "SKRT",
    Item.Category.SHOES: "SHOE",
    Item.Category.ACCESSORY: "ACC",
    Item.Category.OTHER: "MISC",
}
SKU_ATTEMPTS = 5


def brand_code(brand: str) -> str:
    """The brand's part of a SKU: "Nike" → NIKE, "Carhartt" → CARH, "Levi's" → LEVI, "The North Face" → TNF."""
    ascii_brand = unicodedata.normalize("NFKD", brand).encode("ascii", "ignore").decode().upper()
    words = [re.sub(r"[^A-Z0-9]", "", word) for word in ascii_brand.split()]
    words = [word for word in words if word]
    if not words:
        return "VTG"  # no brand: plain vintage
    if len(words) >= 3:
        return "".join(word[0] for word in words)
    return words[0][:4]


def generate_sku(*, brand: str, category: str) -> str:
    """The next free SKU for a brand and category, in the shop's shape: VNT-NIKE-JKT-001, VNT-NIKE-JKT-002, ...

    Numbered after the highest existing number with that prefix (any case). Free when read: `add_item` retries
    with the next number if another writer takes it first.
    """
    prefix = f"{SKU_PREFIX}-{brand_code(brand)}-{CATEGORY_CODES.get(category, 'MISC')}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    taken = Item.objects.filter(sku__istartswith=prefix).values_list("sku", flat=True)
    numbers = [int(match.group(1)) for sku in taken if (match := pattern.match(sku))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def add_item(*, fields: Mapping[str, Any], photos: Sequence[File | NormalisedPhoto] = ()) -> Item:
    """Put one new piece in stock with its photos (in the order given); returns the item.

    `fields` are the descriptive fields (`DESCRIPTIVE_FIELDS`) and optionally `status`, available (the default)
    or hidden. A blank SKU is generated from brand and category (`generate_sku`). Everything is checked first
    (`ValidationError`: a bad field or a photo that is not an image), then the photo files are written, then
    the item and its photo rows are created in one transaction; if that fails the files are deleted again.
    """
    unknown = set(fields) - {*DESCRIPTIVE_FIELDS, "status"}
    if unknown:
        raise ValidationError(f"Not a field of a new item: {', '.join(sorted(unknown))}.")
    status = fields.get("status") or Item.Status.AVAILABLE
    if status not in (Item.Status.AVAILABLE, Item.Status.HIDDEN):
        raise ValidationError({"status": "A new item is either on sale (available) or hidden."})
    item = Item(**{**fields, "status": status, "held_by": None, "held_until": None})
    item.sku = (item.sku or "").strip()
    generated = not item.sku
    if generated:
        item.sku = generate_sku(brand=item.brand, category=item.category)
    item.full_clean()
    normalised = [photo if isinstance(photo, NormalisedPhoto) else normalise_photo(photo) for photo in photos]
    storage = ItemPhoto._meta.get_field("image").storage
    stored = [store_photo(photo, storage=storage) for photo in normalised]
    try:
        with transaction.atomic():
            _insert_with_free_sku(item, generated=generated)
            ItemPhoto.objects.bulk_create(
                ItemPhoto(
                    item=item, image=image, thumbnail=thumbnail, width=photo.width, height=photo.height, position=i
                )
                for i, (photo, (image, thumbnail)) in enumerate(zip(normalised, stored, strict=True))
            )
    except BaseException:
        _delete_files([name for pair in stored for name in pair], storage=storage)
        raise
    logger.info("item added", extra={"sku": item.sku, "photos": len(stored), "sku_generated": generated})
    return item


def _insert_with_free_sku(item: Item, *, generated: bool) -> None:
    for attempt in range(SKU_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint, so a clash leaves the outer transaction usable
                item.save(force_insert=True)
            return
        except IntegrityError as exc:
            # Only a generated SKU taken meanwhile is retried; anything else is a real error.
            if not generated or "sku" not in str(exc) or attempt == SKU_ATTEMPTS - 1:
                raise
            item.pk = None
            number = int(item.sku.rsplit("-", 1)[1])
            item.sku = f"{item.sku.rsplit('-', 1)[0]}-{max(number + 1, 1):03d}"


def duplicate_item(*, sku: str) -> Item:
    """A new piece like this one (same description, brand, category, size, price, condition, measurements), on
    sale under a new SKU from `generate_sku`; returns it.

    It copies no hold, and neither its photos nor its image URL: every piece is one of a kind, so the new one
    is photographed on its own (another piece's photos would show the other piece's flaws). Raises `ItemNotFound`.
    """
    item = Item.objects.filter(sku__iexact=sku.strip()).first()
    if item is None:
        raise ItemNotFound(sku)
    fields = {name: getattr(item, name) for name in DESCRIPTIVE_FIELDS if name not in ("sku", "image_url")}
    return add_item(fields={**fields, "sku": ""})


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
        _delete_files([image, thumbnail], storage=storage)
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
        _delete_files([image, thumbnail], storage=storage)
        raise
    transaction.on_commit(lambda: _delete_files(old_files, storage=storage))
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
    transaction.on_commit(lambda: _delete_files(files, storage=storage))
    logger.info("photo removed", extra={"item": photo.item_id, "files": files})


def photo_files_of(*, items: Iterable[Item]) -> list[str]:
    """The stored files (photos and thumbnails) of these items' photos: read before deleting the items."""
    names = ItemPhoto.objects.filter(item__in=items).values_list("image", "thumbnail")
    return [name for pair in names for name in pair]


def delete_files_after_commit(names: Sequence[str]) -> None:
    """Delete stored files once the current transaction commits (rows that pointed at them are gone by then)."""
    if names:
        storage = ItemPhoto._meta.get_field("image").storage
        transaction.on_commit(lambda: _delete_files(names, storage=storage))


def _delete_files(names: Iterable[str], *, storage: Any) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # a file left behind costs disk space, never a page; log it and carry on
            logger.exception("photo file not deleted", extra={"file": name})
