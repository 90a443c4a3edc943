"""The migrations squashed on 2026-12-06: a database that applied every old one has nothing of them left to apply,
only the migrations written since."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

# Every migration of the last release before the squash, by app.
BEFORE_THE_SQUASH = {
    "assistant": ["0001_initial"],
    "conversations": [
        "0001_initial",
        "0002_assistant_tool_calls",
        "0003_tool_calls_move_to_assistant",
        "0004_outbound_images",
    ],
    "inventory": [
        "0001_initial",
        "0002_search_indexes",
        "0003_sku_unique_case_insensitive",
        "0004_assistant_search_order_indexes",
        "0005_item_photos",
        "0006_waitlists_and_drops",
        "0007_offer_floor",
    ],
    "notifications": ["0001_initial", "0002_inbox"],
    "orders": [
        "0001_initial",
        "0002_order_history_append_only",
        "0003_order_payment_deadline",
        "0004_payments",
        "0005_stripe_events",
        "0006_shipping_carrier",
        "0007_offer_rules",
        "0008_order_event_notice",
        "0009_stripe_event_inbox",
    ],
    "tiktok": [
        "0001_initial",
        "0002_webhook_event_dedupe_key_and_credentials",
        "0003_image_uploads_and_capabilities",
        "0004_inbox",
        "0005_message_id_not_unique_on_its_own",
    ],
}
OLD_MIGRATIONS = [(app, name) for app, names in BEFORE_THE_SQUASH.items() for name in names]


def test_the_squashed_migrations_replace_every_old_one():
    loader = MigrationLoader(None)

    replaced = [key for migration in loader.replacements.values() for key in migration.replaces]

    assert sorted(replaced) == sorted(key for key in OLD_MIGRATIONS if key != ("assistant", "0001_initial"))


SQUASHED = [
    ("conversations", "0001_squashed_0004_outbound_images"),
    ("inventory", "0001_squashed_0007_offer_floor"),
    ("notifications", "0001_squashed_0002_inbox"),
    ("orders", "0001_squashed_0009_stripe_event_inbox"),
    ("tiktok", "0001_squashed_0005_message_id_not_unique_on_its_own"),
]


@pytest.mark.django_db
def test_a_database_that_applied_the_old_migrations_has_only_the_newer_ones_to_apply():
    MigrationRecorder.Migration.objects.filter(app__in=BEFORE_THE_SQUASH).delete()
    recorder = MigrationRecorder(connection)
    for app, name in OLD_MIGRATIONS:
        recorder.record_applied(app, name)

    executor = MigrationExecutor(connection)
    leaves = [key for key in executor.loader.graph.leaf_nodes() if key[0] in BEFORE_THE_SQUASH]
    plan = [(migration.app_label, migration.name) for migration, _ in executor.migration_plan(leaves)]

    # The squashes count as applied; what is left are migrations written after the squash, each coming after it.
    assert set(SQUASHED) <= set(executor.loader.applied_migrations)
    assert [key for key in plan if key in OLD_MIGRATIONS or key in SQUASHED] == []
    for key in plan:
        squash = next(squashed for squashed in SQUASHED if squashed[0] == key[0])
        assert squash in executor.loader.graph.forwards_plan(key), f"{key} does not come after {squash}"
