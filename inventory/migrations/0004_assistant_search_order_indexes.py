"""Indexes for the assistant's searches (inventory/search.py), which list items newest first.

"What's new?", "anything under $30" and "jackets in L" are `ORDER BY created_at DESC LIMIT 5`, with
or without a category: these indexes let PostgreSQL walk the newest items (of that category) and stop
after five matches instead of sorting the whole stock. Raw SQL with IF NOT EXISTS, PostgreSQL only
(like 0002), so the model state and the embedded SQLite default are untouched.
"""

from django.db import migrations

INDEXES = {
    "inventory_item_newest": "(created_at DESC, id DESC)",
    "inventory_item_category_newest": "(category, created_at DESC, id DESC)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON inventory_item {columns}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_sku_unique_case_insensitive")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
