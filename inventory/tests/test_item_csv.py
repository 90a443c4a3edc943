"""CSV stock in and out through the item list's Import and Export (django-import-export)."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from tablib import Dataset

from inventory.models import Item
from inventory.resources import IMPORTED_COLUMNS, ItemResource
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

EXPORTED_COLUMNS = [*IMPORTED_COLUMNS, "status"]


def export_csv(admin_client) -> str:
    response = admin_client.post(
        reverse("admin:inventory_item_export"),
        {"format": "0", "resource": "0", **{f"itemresource_{column}": "on" for column in EXPORTED_COLUMNS}},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return response.content.decode("utf-8-sig")


def preview(admin_client, content: str):
    """Step one of an import: the dry run the owner sees (nothing is saved)."""
    return admin_client.post(
        reverse("admin:inventory_item_import"),
        {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("stock.csv", content.encode(), "text/csv")},
    )


def confirm(admin_client, previewed):
    """Step two: the owner presses Confirm import on the preview."""
    form = previewed.context["confirm_form"]
    return admin_client.post(reverse("admin:inventory_item_process_import"), form.initial, follow=True)


def rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


def write_csv(table: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()


def test_export_has_one_row_per_item_with_its_descriptive_columns_and_status(admin_client):
    make_item("VNT-NIKE-WB-001", brand="Nike", category="jacket", size_label="L", measurements={"pit_to_pit": 24.5})

    exported = rows(export_csv(admin_client))

    assert list(exported[0]) == EXPORTED_COLUMNS
    assert [(row["sku"], row["brand"], row["price"], row["status"]) for row in exported] == [
        ("VNT-NIKE-WB-001", "Nike", "45.00", "available")
    ]
    assert exported[0]["measurements"] == '{"pit_to_pit": 24.5}'


def test_reimporting_an_edited_export_updates_the_items_instead_of_adding_copies(admin_client):
    make_item("VNT-NIKE-WB-001", brand="Nike", category="jacket")
    make_item("VNT-CARH-DJ-002", brand="Carhartt", category="jacket", price="120.00")
    table = rows(export_csv(admin_client))  # in SKU order: Carhartt, then Nike
    table[1]["price"] = "39.50"
    table[0]["sku"] = "vnt-carh-dj-002"  # typed in lower case: still the same item
    table.append({**table[0], "sku": "VNT-LEVI-JEAN-001", "name": "Levi's 501", "brand": "Levi's",
                  "category": "jeans", "price": "58.00", "measurements": '{"waist": 32}', "status": ""})  # fmt: skip

    previewed = preview(admin_client, write_csv(table))
    assert previewed.status_code == 200
    result = previewed.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["skip", "update", "new"]
    assert Item.objects.count() == 2 and Item.objects.get(sku="VNT-NIKE-WB-001").price == Decimal("45.00")

    confirm(admin_client, previewed)

    assert dict(Item.objects.values_list("sku", "price")) == {
        "VNT-NIKE-WB-001": Decimal("39.50"),
        "VNT-CARH-DJ-002": Decimal("120.00"),
        "VNT-LEVI-JEAN-001": Decimal("58.00"),
    }
    new = Item.objects.get(sku="VNT-LEVI-JEAN-001")
    assert (new.status, new.held_by_id, new.measurements) == ("available", None, {"waist": 32})


def test_exported_file_imported_unchanged_changes_nothing(admin_client):
    make_item("VNT-NIKE-WB-001")
    make_item("VNT-CARH-DJ-002")

    previewed = preview(admin_client, export_csv(admin_client))
    confirm(admin_client, previewed)

    assert [row.import_type for row in previewed.context["result"].rows] == ["skip", "skip"]
    assert Item.objects.count() == 2


def test_a_bad_row_is_shown_with_its_error_and_nothing_is_saved(admin_client):
    make_item("VNT-NIKE-WB-001")
    table = rows(export_csv(admin_client))
    table[0]["price"] = "30.00"  # a good change...
    table.append({**table[0], "sku": "VNT-NEW-001", "price": "-5", "condition": "mint"})  # ...and a bad new row

    previewed = preview(admin_client, write_csv(table))

    result = previewed.context["result"]
    assert result.has_validation_errors() and "confirm_form" not in previewed.context
    invalid = result.invalid_rows[0]
    assert invalid.number == 2
    assert invalid.error_dict == {
        "condition": ["Value 'mint' is not a valid choice."],
        "__all__": ["Constraint “item_price_positive” is violated."],
    }
    assert "Value &#x27;mint&#x27; is not a valid choice." in previewed.content.decode()
    assert dict(Item.objects.values_list("sku", "price")) == {"VNT-NIKE-WB-001": Decimal("45.00")}


def test_a_row_without_a_sku_is_an_error():
    dataset = Dataset(headers=["sku", "name", "category", "price", "condition"])
    dataset.append(["  ", "No SKU", "jacket", "20.00", "good"])

    result = ItemResource().import_data(dataset, dry_run=True)

    assert result.invalid_rows[0].error_dict == {"sku": ["This field cannot be blank."]}


def test_a_csv_cannot_sell_a_held_item_or_take_its_hold_away(admin_client):
    customer = make_customer()
    until = timezone.now() + timedelta(hours=3)
    make_item("VNT-NIKE-WB-001", held_by=customer, held_until=until)
    table = rows(export_csv(admin_client))
    assert table[0]["status"] == "reserved"
    table[0]["status"] = "sold"
    table[0]["name"] = "Renamed"
    table[0]["held_by"] = ""  # not a column we import: ignored too

    confirm(admin_client, preview(admin_client, write_csv(table)))

    item = Item.objects.get()
    assert (item.name, item.status, item.held_by_id, item.held_until) == ("Renamed", "reserved", customer.pk, until)
