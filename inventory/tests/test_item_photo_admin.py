"""Photos and the phone's short add page in the item admin, through Django's test client."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inventory import services
from inventory.models import Item, ItemPhoto
from inventory.tests.photo_support import jpeg_bytes, sideways_phone_jpeg, upload
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

ADD = reverse("admin:inventory_item_add")
CHANGELIST = reverse("admin:inventory_item_changelist")
NEW_JACKET = {"name": "Nike Windbreaker", "brand": "Nike", "category": "jacket", "size_label": "L", "price": "40.00",
              "condition": "very_good", "sku": "", "status": "available"}  # fmt: skip


def change_url(item: Item) -> str:
    return reverse("admin:inventory_item_change", args=[item.pk])


def files_in(media_root: Path) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


def item_form(item: Item, **photo_rows: str) -> dict:
    """The item's page as posted: its fields and the photo rows' management form."""
    photos = list(item.photos.all())
    data = {
        "sku": item.sku, "name": item.name, "category": item.category, "price": str(item.price),
        "condition": item.condition, "photos-TOTAL_FORMS": str(len(photos) + 1),
        "photos-INITIAL_FORMS": str(len(photos)), "photos-MIN_NUM_FORMS": "0", "photos-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index, photo in enumerate(photos):
        data.update({f"photos-{index}-id": str(photo.pk), f"photos-{index}-item": str(item.pk),
                     f"photos-{index}-position": str(photo.position)})  # fmt: skip
    data[f"photos-{len(photos)}-position"] = "0"  # the empty row's default, as the browser sends it
    data.update(photo_rows)
    return data


def test_add_page_is_short_with_a_photo_box_for_the_camera_first(admin_client):
    page = admin_client.get(ADD).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="photos" accept="image/*" multiple' in page
    boxes = [page.index(f'name="{name}"') for name in ("photos", "name", "brand", "category", "size_label", "price")]
    assert boxes == sorted(boxes)
    assert 'name="sku"' in page and 'id="id_sku"' in page and "e.g. VNT-NIKE-JKT-001" in page
    assert 'name="photos-TOTAL_FORMS"' not in page  # the photo rows come once the item exists


def test_adding_an_item_from_the_phone_generates_its_sku_and_stores_its_photos(admin_client, media_root):
    data = {**NEW_JACKET, "photos": [upload(sideways_phone_jpeg(), "IMG_0001.JPG"), upload(jpeg_bytes(), "b.jpg")]}

    response = admin_client.post(ADD, data)

    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == CHANGELIST
    assert (item.sku, item.name, item.status, item.size_label) == (
        "VNT-NIKE-JKT-001",
        "Nike Windbreaker",
        "available",
        "L",
    )
    photos = list(item.photos.all())
    assert [(photo.position, photo.width, photo.height) for photo in photos] == [(0, 200, 400), (1, 800, 600)]
    with Image.open(media_root / photos[0].image.name) as stored:
        assert (stored.format, stored.size, len(stored.getexif())) == ("JPEG", (200, 400), 0)
    assert len(files_in(media_root)) == 4


def test_adding_with_a_file_that_is_not_a_photo_says_so_and_adds_nothing(admin_client, media_root):
    data = {**NEW_JACKET, "photos": [upload(jpeg_bytes(), "ok.jpg"), upload(b"hello", "notes.txt", "text/plain")]}

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert "notes.txt is not an image we can read; send a JPEG, PNG or WebP photo." in response.content.decode()
    assert not Item.objects.exists() and files_in(media_root) == []


def test_a_sku_typed_on_the_add_page_is_kept(admin_client, media_root):
    admin_client.post(ADD, {**NEW_JACKET, "sku": "VNT-NIKE-WB-001"})

    assert list(Item.objects.values_list("sku", flat=True)) == ["VNT-NIKE-WB-001"]


def test_a_photo_added_on_the_item_page_is_normalised_and_shown_in_the_list(admin_client, media_root):
    item = make_item("VNT-NIKE-WB-001")

    response = admin_client.post(
        change_url(item), item_form(item, **{"photos-0-upload": upload(jpeg_bytes((3200, 2400)), "big.jpg")})
    )

    photo = ItemPhoto.objects.get()
    assert response.status_code == 302
    assert (photo.item_id, photo.width, photo.height, photo.position) == (item.pk, 1600, 1200, 0)
    listed = admin_client.get(CHANGELIST).content.decode()
    assert f'<img src="{photo.thumbnail.url}"' in listed
    page = admin_client.get(change_url(item)).content.decode()
    assert page.count(f'<img src="{photo.thumbnail.url}"') == 2  # the strip at the top and the photo's row
    assert 'type="file" name="photos-0-upload" accept="image/*"' in page


def test_a_bad_file_on_the_item_page_is_refused_in_its_row(admin_client, media_root):
    item = make_item("VNT-NIKE-WB-001")

    response = admin_client.post(
        change_url(item), item_form(item, **{"photos-0-upload": upload(b"GIF89a broken", "x.gif", "image/gif")})
    )

    assert response.status_code == 200
    assert "x.gif" in response.content.decode()
    assert not ItemPhoto.objects.exists() and files_in(media_root) == []


def test_photos_can_be_reordered_and_deleted_on_the_item_page(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    item = make_item("VNT-NIKE-WB-001")
    first = services.add_photo(item=item, photo=upload(jpeg_bytes()))
    second = services.add_photo(item=item, photo=upload(jpeg_bytes()))
    third = services.add_photo(item=item, photo=upload(jpeg_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url(item), item_form(item, **{"photos-0-DELETE": "on", "photos-2-position": "0"})
        )

    assert response.status_code == 302
    assert list(item.photos.values_list("pk", flat=True)) == [third.pk, second.pk]
    assert files_in(media_root) == sorted(
        [second.image.name, second.thumbnail.name, third.image.name, third.thumbnail.name]
    )
    assert not ItemPhoto.objects.filter(pk=first.pk).exists()


def test_item_list_falls_back_to_the_image_url_when_an_item_has_no_photo(admin_client):
    make_item("VNT-NIKE-WB-001", image_url="https://cdn.example.com/nike.jpg")

    assert '<img src="https://cdn.example.com/nike.jpg"' in admin_client.get(CHANGELIST).content.decode()


def test_duplicate_button_makes_a_new_item_on_sale_and_opens_it(admin_client, media_root):
    item = make_item("VNT-NIKE-WB-001", brand="Nike", category="jacket", size_label="L",
                     held_by=make_customer(), held_until=timezone.now() + timedelta(hours=2))  # fmt: skip
    services.add_photo(item=item, photo=upload(jpeg_bytes()))
    duplicate = reverse("admin:inventory_item_duplicate", args=[item.pk])

    page = admin_client.get(change_url(item)).content.decode()
    refused = admin_client.get(duplicate)
    response = admin_client.post(duplicate, follow=True)

    copy = Item.objects.exclude(pk=item.pk).get()
    assert f'<form method="post" action="{duplicate}"' in page and "Duplicate as new item" in page
    assert refused.status_code == 405
    assert response.redirect_chain == [(change_url(copy), 302)]
    assert (copy.sku, copy.status, copy.held_by_id, copy.size_label, copy.photos.count()) == (
        "VNT-NIKE-JKT-001", "available", None, "L", 0,
    )  # fmt: skip
    assert [message.message for message in get_messages(response.wsgi_request)] == [
        "Added VNT-NIKE-JKT-001 as a copy of VNT-NIKE-WB-001, without photos: add its own."
    ]


def test_duplicate_action_on_one_item_opens_the_copy(admin_client):
    item = make_item("VNT-NIKE-WB-001", brand="Nike", category="jacket")

    response = admin_client.post(CHANGELIST, {"action": "duplicate_items", "_selected_action": [item.pk]})

    copy = Item.objects.get(sku="VNT-NIKE-JKT-001")
    assert response.status_code == 302 and response["Location"] == change_url(copy)


def test_deleting_an_item_in_the_admin_deletes_its_photo_files_too(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    item = make_item("VNT-NIKE-WB-001")
    services.add_photo(item=item, photo=upload(jpeg_bytes()))
    kept = services.add_photo(item=make_item("VNT-KEEP-002"), photo=upload(jpeg_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:inventory_item_delete", args=[item.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert list(Item.objects.values_list("sku", flat=True)) == ["VNT-KEEP-002"]
    assert files_in(media_root) == sorted([kept.image.name, kept.thumbnail.name])
