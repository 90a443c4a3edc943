from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from inventory import services
from inventory.exceptions import ItemNotFound
from inventory.models import Item, ItemPhoto
from inventory.services import add_item, brand_code, duplicate_item, generate_sku
from inventory.tests.photo_support import jpeg_bytes, sideways_phone_jpeg, upload
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

JACKET = {"name": "Nike Windbreaker", "brand": "Nike", "category": "jacket", "price": Decimal("40.00")}


def stored_files(media_root: Path) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


@pytest.mark.parametrize(
    ("brand", "code"),
    [
        ("Nike", "NIKE"),
        ("Carhartt", "CARH"),
        ("Levi's", "LEVI"),
        ("The North Face", "TNF"),
        ("Ralph Lauren", "RALP"),
        ("Comme des Garçons", "CDG"),
        ("  ", "VTG"),
        ("A.P.C.", "APC"),
    ],
)
def test_brand_code_is_the_brands_first_letters_or_initials(brand, code):
    assert brand_code(brand) == code


def test_first_sku_for_a_brand_and_category_is_number_one():
    make_item("VNT-NIKE-WB-001", brand="Nike", category="jacket")

    assert generate_sku(brand="Nike", category="jacket") == "VNT-NIKE-JKT-001"
    assert generate_sku(brand="Carhartt", category="trousers") == "VNT-CARH-TRS-001"
    assert generate_sku(brand="", category="other") == "VNT-VTG-MISC-001"


def test_next_sku_follows_the_highest_number_of_its_prefix_in_any_case():
    make_item("VNT-NIKE-JKT-001")
    make_item("vnt-nike-jkt-007")
    make_item("VNT-NIKE-JKT-SPECIAL")  # not a number: ignored
    make_item("VNT-NIKE-SWT-050")  # another prefix

    assert generate_sku(brand="nike", category="jacket") == "VNT-NIKE-JKT-008"


def test_add_item_without_a_sku_generates_one_and_puts_it_on_sale():
    first = add_item(fields={**JACKET, "sku": ""})
    second = add_item(fields={**JACKET, "sku": "   "})

    assert (first.sku, second.sku) == ("VNT-NIKE-JKT-001", "VNT-NIKE-JKT-002")
    assert list(Item.objects.values_list("sku", "status", "held_by")) == [
        ("VNT-NIKE-JKT-001", "available", None),
        ("VNT-NIKE-JKT-002", "available", None),
    ]


def test_add_item_keeps_a_given_sku_and_refuses_one_taken_in_another_case():
    add_item(fields={**JACKET, "sku": " VNT-NIKE-WB-001 "})

    with pytest.raises(ValidationError) as refused:
        add_item(fields={**JACKET, "sku": "vnt-nike-wb-001"})

    assert list(Item.objects.values_list("sku", flat=True)) == ["VNT-NIKE-WB-001"]
    assert refused.value.messages == ["An item with this SKU already exists (SKUs are the same in any case)."]


def test_a_generated_sku_taken_between_reading_and_writing_moves_on_to_the_next_number():
    # Another writer took VNT-NIKE-JKT-001 (and 002) after generate_sku read the stock: the insert clashes on the
    # unique index and moves on, in a savepoint, until a number is free.
    make_item("VNT-NIKE-JKT-001")
    make_item("VNT-NIKE-JKT-002")
    item = Item(**JACKET, sku="VNT-NIKE-JKT-001")

    with transaction.atomic():
        services._insert_with_free_sku(item, generated=True)

    assert item.sku == "VNT-NIKE-JKT-003"
    assert Item.objects.filter(sku="VNT-NIKE-JKT-003").exists()


def test_add_item_refuses_a_new_item_that_starts_held():
    with pytest.raises(ValidationError) as refused:
        add_item(fields={**JACKET, "status": "reserved"})

    assert refused.value.message_dict == {"status": ["A new item is either on sale (available) or hidden."]}
    assert not Item.objects.exists()


def test_add_item_stores_its_photos_in_order_through_the_storage(media_root):
    item = add_item(
        fields=JACKET, photos=[upload(sideways_phone_jpeg(), "front.jpg"), upload(jpeg_bytes(), "back.jpg")]
    )

    photos = list(item.photos.all())
    assert [(photo.position, photo.width, photo.height) for photo in photos] == [(0, 200, 400), (1, 800, 600)]
    assert all(photo.image.name.startswith("items/") and photo.image.name.endswith(".jpg") for photo in photos)
    assert (media_root / photos[0].image.name).read_bytes()[:2] == b"\xff\xd8"  # a JPEG on disk
    assert photos[0].image.url == f"/media/{photos[0].image.name}"
    assert len(stored_files(media_root)) == 4  # photo and thumbnail of each


def test_a_bad_photo_stops_the_whole_item_and_leaves_no_file(media_root):
    with pytest.raises(ValidationError):
        add_item(fields=JACKET, photos=[upload(jpeg_bytes(), "ok.jpg"), upload(b"nope", "notes.txt", "text/plain")])

    assert not Item.objects.exists() and not ItemPhoto.objects.exists()
    assert stored_files(media_root) == []


def test_when_the_item_cannot_be_written_its_photo_files_are_deleted_again(media_root):
    make_item("VNT-NIKE-JKT-001")

    with pytest.raises(ValidationError):
        add_item(fields={**JACKET, "sku": "VNT-NIKE-JKT-001"}, photos=[upload(jpeg_bytes())])

    assert stored_files(media_root) == []


def test_add_photo_goes_after_the_last_and_remove_photo_deletes_its_files_after_commit(
    media_root, django_capture_on_commit_callbacks
):
    item = make_item()
    first = services.add_photo(item=item, photo=upload(jpeg_bytes()))
    second = services.add_photo(item=item, photo=upload(jpeg_bytes()))
    assert (first.position, second.position) == (0, 1)

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_photo(photo=first)

    assert list(item.photos.values_list("pk", flat=True)) == [second.pk]
    assert stored_files(media_root) == sorted([second.image.name, second.thumbnail.name])


def test_duplicate_item_is_a_new_piece_on_sale_without_hold_or_photos(media_root):
    customer = make_customer()
    original = add_item(
        fields={**JACKET, "sku": "VNT-NIKE-WB-001", "size_label": "L", "measurements": {"pit_to_pit": 24.5},
                "condition": "very_good", "description": "Teal and purple.", "image_url": "https://cdn.example/x.jpg"},
        photos=[upload(jpeg_bytes())],
    )  # fmt: skip
    services.reserve_item(sku=original.sku, customer=customer)

    copy = duplicate_item(sku="vnt-nike-wb-001")

    assert copy.sku == "VNT-NIKE-JKT-001" and copy.pk != original.pk
    assert (copy.name, copy.brand, copy.category, copy.price, copy.size_label, copy.measurements, copy.condition) == (
        "Nike Windbreaker", "Nike", "jacket", Decimal("40.00"), "L", {"pit_to_pit": 24.5}, "very_good",
    )  # fmt: skip
    assert (copy.status, copy.held_by_id, copy.held_until, copy.image_url) == ("available", None, None, "")
    assert copy.photos.count() == 0 and original.photos.count() == 1
    original.refresh_from_db()
    assert (original.status, original.held_by_id) == ("reserved", customer.pk)


def test_duplicating_an_unknown_sku_says_so():
    with pytest.raises(ItemNotFound):
        duplicate_item(sku="VNT-NOPE-001")
