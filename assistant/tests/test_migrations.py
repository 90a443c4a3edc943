"""The assistant's tables moved here from `conversations`: migrating forward keeps their rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assistant.models import ToolCall

BEFORE_THE_MOVE = [("conversations", "0002_assistant_tool_calls"), ("assistant", None)]


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
        old.get_model("conversations", "ToolCall").objects.create(
            idempotency_key="k" * 64,
            message=message,
            customer=customer,
            tool="hold_item",
            arguments={"sku": "VNT-NIKE-WB-001"},
            result={"ok": True},
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
