"""The stock itself: new pieces (one with its photos, or many at once), their SKUs, hiding and showing them,
and clearing it all."""

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper

from inventory.exceptions import InvalidItemStatusChange, ItemNotFound
from inventory.item_photos import delete_files
from inventory.locks import lock_items
from inventory.models import Item, ItemPhoto
from inventory.photos import NormalisedPhoto, normalise_photo, store_photo
from inventory.selectors import forget_stock_facts
from philia.db import locking_transaction

logger = logging.getLogger(__name__)


# What describes a piece; the rest of an item (status, hold, times) is the shop's state, not its description.
DESCRIPTIVE_FIELDS = (
    "sku", "name", "description", "brand", "category", "colour", "era", "price", "size_label", "measurements",
    "condition", "image_url",
)  # fmt: skip


SKU_PREFIX = "VNT"


CATEGORY_CODES: dict[str, str] = {
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
        delete_files([name for pair in stored for name in pair], storage=storage)
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
        forget_stock_facts()  # bulk_create sends no post_save
        logger.info("items added", extra={"skus": [item.sku for item in new_items]})
    return new_items


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
    with locking_transaction():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        if item.status != expected:
            raise InvalidItemStatusChange(item.sku, item.get_status_display().lower(), action)
        item.status = new
        item.save(update_fields=["status", "updated_at"])
    logger.info("item status changed", extra={"sku": item.sku, "status": new})
    return item


def clear_stock() -> dict[str, int]:
    """Delete every item (`seed --clear`); returns how many. Raises `ProtectedError` while an order line
    still refers to one (clear the orders first)."""
    with transaction.atomic():
        _, deleted = Item.objects.all().delete()
    return {"items": deleted.get(Item._meta.label, 0)}
