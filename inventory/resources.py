"""Stock in and out as CSV (django-import-export), from the item list's Import and Export buttons.

The SKU is the key, matched in any case: re-importing a file updates the items it names instead of adding
copies. Only what describes a piece is imported (`IMPORTED_COLUMNS`). `status` is exported for reading but
never imported: holds and sales change only through `inventory.services` (hold, release, hide, orders), so a
CSV can neither sell a held item nor take a hold away. New rows start on sale, with no hold.
"""

from typing import Any

from import_export import fields, resources, widgets

from inventory.models import Item

IMPORTED_COLUMNS = (
    "sku", "name", "brand", "category", "size_label", "price", "condition", "colour", "era", "description",
    "measurements", "image_url",
)  # fmt: skip


class ItemResource(resources.ModelResource):
    measurements = fields.Field(attribute="measurements", column_name="measurements", widget=widgets.JSONWidget())
    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta:
        model = Item
        fields = (*IMPORTED_COLUMNS, "status")
        export_order = (*IMPORTED_COLUMNS, "status")
        import_id_fields = ("sku",)
        clean_model_instances = True  # full_clean: choices, price > 0, measurements, the SKU constraints
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        row["sku"] = (row.get("sku") or "").strip()
        if "measurements" in row and not (row["measurements"] or "").strip():
            row["measurements"] = "{}"

    def get_instance(self, instance_loader: Any, row: Any) -> Item | None:
        # Case-insensitive, like every other SKU lookup (the item_sku_unique_ci constraint makes it one row).
        sku = row.get("sku") or ""
        item = Item.objects.filter(sku__iexact=sku).first() if sku else None
        if item is not None:
            row["sku"] = item.sku  # "vnt-nike-wb-001" in a file names the item; it does not rename it
        return item
