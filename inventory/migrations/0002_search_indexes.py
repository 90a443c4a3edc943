"""Trigram indexes so "available items matching text" stays fast on PostgreSQL.

They are PostgreSQL-only (pg_trgm); on the embedded SQLite default this migration does nothing.
"""

from django.db import migrations

COLUMNS = ["name", "brand", "description", "sku"]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS inventory_item_{column}_trgm "
            f"ON inventory_item USING gin (upper({column}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS inventory_item_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
