"""The public page of an item, /p/<SKU>/, and the shop's front page, /."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.models import Item
from inventory.tests.photo_support import jpeg_bytes, upload
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_item_page_shows_what_a_buyer_needs_on_a_phone(client, media_root):
    item = make_item(
        "VNT-NIKE-WB-001", name="Vintage Nike Windbreaker", brand="Nike", size_label="L", price="45.00",
        measurements={"length": 28, "pit_to_pit": 24.5}, condition="very_good",
    )  # fmt: skip
    second = services.add_photo(item=item, photo=upload(jpeg_bytes((1200, 900))), position=1)
    first = services.add_photo(item=item, photo=upload(jpeg_bytes((900, 1200))), position=0)

    response = client.get("/p/VNT-NIKE-WB-001/")

    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<h1>Vintage Nike Windbreaker</h1>" in page
    assert '<span class="price">$45</span><span class="state state-available">Available</span>' in page
    assert "<dt>Size</dt><dd>L</dd>" in page
    assert "<dt>Measurements</dt><dd>pit to pit 24.5 in · length 28 in</dd>" in page
    assert "<dt>Condition</dt><dd>Very good</dd>" in page
    assert page.index(first.image.url) < page.index(second.image.url)  # photos in their order
    assert f'src="{first.image.url}" width="900" height="1200"' in page
    assert "<script" not in page
    assert response["Cache-Control"] == "public, max-age=60"
    assert reverse("item_page", args=["VNT-NIKE-WB-001"]) == "/p/VNT-NIKE-WB-001/"


def test_item_page_finds_the_sku_in_any_case(client):
    make_item("VNT-NIKE-WB-001")

    assert client.get("/p/vnt-nike-wb-001/").status_code == 200


def test_a_held_item_says_on_hold_and_never_who_holds_it(client):
    customer = make_customer("tt-8812", username="secretbuyer", display_name="Jo Secret")
    make_item("VNT-NIKE-WB-001", held_by=customer, held_until=timezone.now() + timedelta(hours=5))

    page = client.get("/p/VNT-NIKE-WB-001/").content.decode()

    assert '<span class="state state-on-hold">On hold</span>' in page
    for private in ("tt-8812", "secretbuyer", "Jo Secret"):
        assert private not in page


def test_a_hold_that_ran_out_shows_as_available_and_a_sold_item_as_sold(client):
    make_item("RAN-OUT-1", held_by=make_customer(), held_until=timezone.now() - timedelta(minutes=1))
    make_item("SOLD-2", status="sold")

    assert "state-available" in client.get("/p/RAN-OUT-1/").content.decode()
    assert '<span class="state state-sold">Sold</span>' in client.get("/p/SOLD-2/").content.decode()


@pytest.mark.parametrize("sku", ["VNT-HIDDEN-001", "vnt-hidden-001", "VNT-NOPE-404"])
def test_hidden_and_unknown_items_are_not_found_alike(client, sku):
    make_item("VNT-HIDDEN-001", name="Secret Prototype", status="hidden")

    response = client.get(f"/p/{sku}/")

    assert response.status_code == 404
    assert "Secret Prototype" not in response.content.decode()
    assert f"There is no piece {sku} on sale here." in response.content.decode()


def test_item_page_only_answers_reads(client):
    make_item("VNT-NIKE-WB-001")

    assert client.post("/p/VNT-NIKE-WB-001/").status_code == 405


def test_item_without_photos_shows_its_image_url(client):
    make_item("VNT-NIKE-WB-001", image_url="https://cdn.example.com/nike.jpg")

    assert '<img src="https://cdn.example.com/nike.jpg"' in client.get("/p/VNT-NIKE-WB-001/").content.decode()


def test_front_page_lists_what_is_on_sale_and_links_each_piece(client):
    make_item("VNT-NIKE-WB-001", name="Vintage Nike Windbreaker", size_label="L")
    make_item("SOLD-2", name="Sold Jacket", status="sold")
    make_item("HIDDEN-3", name="Hidden Jacket", status="hidden")
    make_item("HELD-4", name="Held Jacket", held_by=make_customer(), held_until=timezone.now() + timedelta(hours=1))

    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/p/VNT-NIKE-WB-001/">' in page and "<div>Vintage Nike Windbreaker</div>" in page
    assert "Sold Jacket" not in page and "Hidden Jacket" not in page and "Held Jacket" not in page


def test_the_admins_view_site_link_goes_to_the_front_page(admin_client):
    page = admin_client.get(reverse("admin:inventory_item_changelist")).content.decode()

    assert '<a href="/">View site</a>' in page
    assert admin_client.get("/").status_code == 200


def test_the_item_page_in_the_admin_links_to_the_public_page(admin_client):
    item = make_item("VNT-NIKE-WB-001")
    on_site = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Item).pk, item.pk])

    page = admin_client.get(reverse("admin:inventory_item_change", args=[item.pk])).content.decode()
    redirect = admin_client.get(on_site)

    assert f'<a href="{on_site}" class="viewsitelink">View on site</a>' in page
    assert redirect.status_code == 302 and redirect["Location"].endswith("/p/VNT-NIKE-WB-001/")


def test_item_page_of_an_upcoming_drop_says_when_it_drops_in_the_shops_time_zone(client, settings):
    settings.TIME_ZONE = "America/New_York"
    make_item("VNT-DROP-101", name="Drop Jacket", price="80.00")
    services.schedule_drop(drops_at=timezone.now() + timedelta(days=400), skus=["VNT-DROP-101"])
    item = Item.objects.get(sku="VNT-DROP-101")
    item.drops_at = datetime(2028, 1, 6, 0, 30, tzinfo=UTC)  # 19:30 on the 5th in New York
    item.save(update_fields=["drops_at"])

    page = client.get("/p/VNT-DROP-101/").content.decode()

    assert '<span class="state state-upcoming-drop">Drops Wed 05 Jan, 19:30 EST</span>' in page
    assert "Available" not in page
    assert 'send us "VNT-DROP-101" on TikTok from the drop time on' in page


def test_item_page_says_available_once_the_drop_time_has_passed(client):
    make_item("VNT-DROP-102", name="Dropped Jacket", price="80.00")
    Item.objects.filter(sku="VNT-DROP-102").update(drops_at=timezone.now() - timedelta(minutes=1))

    page = client.get("/p/VNT-DROP-102/").content.decode()

    assert '<span class="state state-available">Available</span>' in page
