# The inventory migrations 0001-0007 squashed on 2026-12-06 (docs/development.md, Migrations).

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

# Trigram indexes so "available items matching text" stays fast (inventory/search.py matches
# `upper(column) LIKE` and `<%`), and the newest-first indexes that let "what's new?" and "jackets in L" walk
# the newest items (of a category) and stop after a few matches instead of sorting the whole stock.
SEARCH_COLUMNS = ["name", "brand", "description", "sku"]
NEWEST_FIRST = {
    "inventory_item_newest": "(created_at DESC, id DESC)",
    "inventory_item_category_newest": "(category, created_at DESC, id DESC)",
}
CREATE_SEARCH_INDEXES: tuple[str, ...] = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX inventory_item_{column}_trgm ON inventory_item USING gin (upper({column}) gin_trgm_ops)"
        for column in SEARCH_COLUMNS
    ),
    *(f"CREATE INDEX {name} ON inventory_item {columns}" for name, columns in NEWEST_FIRST.items()),
)
DROP_SEARCH_INDEXES: tuple[str, ...] = (
    *(f"DROP INDEX inventory_item_{column}_trgm" for column in SEARCH_COLUMNS),
    *(f"DROP INDEX {name}" for name in NEWEST_FIRST),
)


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("inventory", "0001_initial"),
        ("inventory", "0002_search_indexes"),
        ("inventory", "0003_sku_unique_case_insensitive"),
        ("inventory", "0004_assistant_search_order_indexes"),
        ("inventory", "0005_item_photos"),
        ("inventory", "0006_waitlists_and_drops"),
        ("inventory", "0007_offer_floor"),
    ]

    dependencies = [
        ("conversations", "0001_squashed_0004_outbound_images"),
    ]

    operations = [
        migrations.CreateModel(
            name="Drop",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120)),
                ("drops_at", models.DateTimeField(db_index=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["-drops_at"]},
        ),
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sku", models.CharField(max_length=64, unique=True, verbose_name="SKU")),
                ("name", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True)),
                ("brand", models.CharField(blank=True, db_index=True, max_length=80)),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("jacket", "Jacket / coat"),
                            ("sweatshirt", "Sweatshirt / hoodie"),
                            ("sweater", "Sweater / knit"),
                            ("shirt", "Shirt"),
                            ("tshirt", "T-shirt"),
                            ("jeans", "Jeans"),
                            ("trousers", "Trousers"),
                            ("shorts", "Shorts"),
                            ("dress", "Dress"),
                            ("skirt", "Skirt"),
                            ("shoes", "Shoes"),
                            ("accessory", "Accessory"),
                            ("other", "Other"),
                        ],
                        default="other",
                        max_length=20,
                    ),
                ),
                ("colour", models.CharField(blank=True, max_length=60)),
                ("era", models.CharField(blank=True, help_text="Decade it was made, e.g. 90s.", max_length=20)),
                ("price", models.DecimalField(decimal_places=2, max_digits=10)),
                ("size_label", models.CharField(blank=True, db_index=True, max_length=20, verbose_name="size")),
                (
                    "measurements",
                    models.JSONField(
                        blank=True, default=dict, help_text='Inches, e.g. {"pit_to_pit": 22.5, "length": 28}.'
                    ),
                ),
                (
                    "condition",
                    models.CharField(
                        choices=[
                            ("new_with_tags", "New with tags"),
                            ("excellent", "Excellent"),
                            ("very_good", "Very good"),
                            ("good", "Good"),
                            ("fair", "Fair (flaws noted)"),
                        ],
                        default="good",
                        max_length=20,
                    ),
                ),
                ("image_url", models.URLField(blank=True, max_length=500)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("available", "Available"),
                            ("reserved", "Held"),
                            ("sold", "Sold"),
                            ("hidden", "Hidden"),
                        ],
                        db_index=True,
                        default="available",
                        max_length=16,
                    ),
                ),
                ("held_until", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "held_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="holds",
                        to="conversations.customer",
                    ),
                ),
                (
                    "drops_at",
                    models.DateTimeField(
                        blank=True,
                        db_index=True,
                        help_text="In an upcoming drop: not shown or holdable before this time.",
                        null=True,
                    ),
                ),
                (
                    "held_since",
                    models.DateTimeField(blank=True, help_text="When the current hold was taken.", null=True),
                ),
                (
                    "hold_extended_at",
                    models.DateTimeField(
                        blank=True, help_text="When the owner extended the current hold (once per hold).", null=True
                    ),
                ),
                (
                    "hold_reminded_at",
                    models.DateTimeField(
                        blank=True, help_text="When the holder was reminded that the current hold runs out.", null=True
                    ),
                ),
                (
                    "offer_floor",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="The lowest offer accepted at once. Blank: the shop's OFFER_FLOOR_PERCENT of the price.",
                        max_digits=10,
                        null=True,
                    ),
                ),
            ],
            options={"ordering": ["sku"]},
        ),
        migrations.CreateModel(
            name="DropItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "first_claim_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the first claim was recorded (the settling job is scheduled then).",
                        null=True,
                    ),
                ),
                ("settled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "drop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="drop_items", to="inventory.drop"
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="drop_entries", to="inventory.item"
                    ),
                ),
                (
                    "winner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="drops_won",
                        to="conversations.customer",
                    ),
                ),
            ],
            options={"ordering": ["drop", "item__sku"]},
        ),
        migrations.CreateModel(
            name="ItemPhoto",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("image", models.ImageField(max_length=255, upload_to="items/")),
                ("thumbnail", models.ImageField(max_length=255, upload_to="items/")),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Lower comes first; the first is the main photo."
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="photos", to="inventory.item"
                    ),
                ),
            ],
            options={"ordering": ["position", "pk"]},
        ),
        migrations.CreateModel(
            name="WaitlistEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "queued_at",
                    models.DateTimeField(
                        help_text="What orders the line: when they asked, or the TikTok time of their claim in a drop."
                    ),
                ),
                (
                    "told_available_at",
                    models.DateTimeField(
                        blank=True, help_text="When they were last told the piece is free (without a hold).", null=True
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waitlist_entries",
                        to="conversations.customer",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="waitlist", to="inventory.item"
                    ),
                ),
            ],
            options={"verbose_name_plural": "waitlist entries", "ordering": ["item", "queued_at", "id"]},
        ),
        migrations.CreateModel(
            name="DropClaim",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tiktok_message_id", models.CharField(max_length=255, verbose_name="TikTok message id")),
                (
                    "written_at_ms",
                    models.BigIntegerField(help_text="TikTok's timestamp of the message (content.timestamp, ms)."),
                ),
                (
                    "received_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the webhook received the message (filled in when settled).",
                        null=True,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for the settling window"),
                            ("won", "Won"),
                            ("lost", "Someone was faster"),
                            ("late", "After the settling window"),
                            ("early", "Written before the drop time"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("waitlist_place", models.PositiveIntegerField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="drop_claims",
                        to="conversations.customer",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        help_text="The claiming DM.",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="drop_claims",
                        to="conversations.message",
                    ),
                ),
                (
                    "drop_item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="claims", to="inventory.dropitem"
                    ),
                ),
            ],
            options={
                "ordering": ["drop_item", "written_at_ms", "tiktok_message_id"],
                "constraints": [
                    models.UniqueConstraint(fields=("drop_item", "customer"), name="drop_claim_once_per_customer")
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("sku"),
                name="item_sku_unique_ci",
                violation_error_message="An item with this SKU already exists (SKUs are the same in any case).",
            ),
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.CheckConstraint(condition=models.Q(("price__gt", 0)), name="item_price_positive"),
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.CheckConstraint(
                condition=models.Q(("offer_floor__isnull", True), ("offer_floor__gt", 0), _connector="OR"),
                name="item_offer_floor_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "reserved"), ("held_by__isnull", False), ("held_until__isnull", False)),
                    models.Q(
                        models.Q(("status", "reserved"), _negated=True),
                        ("held_by__isnull", True),
                        ("held_until__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="item_hold_matches_status",
            ),
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["available", "reserved", "sold", "hidden"])),
                name="item_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="dropitem",
            constraint=models.UniqueConstraint(fields=("drop", "item"), name="drop_item_once_per_drop"),
        ),
        migrations.AddIndex(
            model_name="itemphoto", index=models.Index(fields=["item", "position"], name="item_photo_order")
        ),
        migrations.AddIndex(
            model_name="waitlistentry", index=models.Index(fields=["item", "queued_at", "id"], name="waitlist_line")
        ),
        migrations.AddConstraint(
            model_name="waitlistentry",
            constraint=models.UniqueConstraint(fields=("item", "customer"), name="waitlist_one_place_per_customer"),
        ),
        migrations.RunSQL(CREATE_SEARCH_INDEXES, reverse_sql=DROP_SEARCH_INDEXES),
    ]
