# ToolCall moves here from `conversations` with its rows: the table is renamed, never dropped (since the squash of
# 2026-12-06, conversations' first migration creates it).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("conversations", "0001_squashed_0004_outbound_images"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE conversations_toolcall RENAME TO assistant_toolcall",
                    reverse_sql="ALTER TABLE assistant_toolcall RENAME TO conversations_toolcall",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="ToolCall",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("idempotency_key", models.CharField(max_length=64, unique=True)),
                        ("tool", models.CharField(max_length=40)),
                        ("arguments", models.JSONField(blank=True, default=dict)),
                        ("succeeded", models.BooleanField(default=True)),
                        ("result", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="tool_calls",
                                to="conversations.customer",
                            ),
                        ),
                        (
                            "message",
                            models.ForeignKey(
                                help_text="The inbound message it acted on.",
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="tool_calls",
                                to="conversations.message",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["created_at", "id"],
                    },
                ),
            ],
        ),
    ]
