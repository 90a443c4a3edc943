"""The assistant's tables moved here from `conversations`: migrating forward keeps their rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assistant.models import ToolCall

# Conversations' first migration creates the table as `conversations_toolcall`; assistant's renames it.
BEFORE_THE_MOVE = [("conversations", "0001_squashed_0004_outbound_images"), ("assistant", None)]


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


# Migrations run DDL outside the test's transaction, so this test needs real commits.
@pytest.mark.django_db(transaction=True)
def test_tool_calls_written_before_the_move_are_there_after_it():
    executor = migrate(BEFORE_THE_MOVE)
    try:
        old = executor.loader.project_state(BEFORE_THE_MOVE[:1]).apps
        customer = old.get_model("conversations", "Customer").objects.create(tiktok_user_id="tt-moved")
        message = old.get_model("conversations", "Message").objects.create(
            customer=customer, role="user", direction="inbound", text="hold VNT-NIKE-WB-001"
        )
        # No model of it in this state: the table is only in the database until assistant's migration.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO conversations_toolcall"
                " (idempotency_key, message_id, customer_id, tool, arguments, succeeded, result, created_at)"
                " VALUES (%s, %s, %s, 'hold_item', '{\"sku\": \"VNT-NIKE-WB-001\"}', true, '{\"ok\": true}', now())",
                ["k" * 64, message.pk, customer.pk],
            )
    finally:
        executor = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    call = ToolCall.objects.get()
    assert (call.idempotency_key, call.customer_id, call.message.text, call.tool, call.arguments, call.result) == (
        "k" * 64,
        "tt-moved",
        "hold VNT-NIKE-WB-001",
        "hold_item",
        {"sku": "VNT-NIKE-WB-001"},
        {"ok": True},
    )
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert ("assistant_toolcall" in tables, "conversations_toolcall" in tables) == (True, False)
