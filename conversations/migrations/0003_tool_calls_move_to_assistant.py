# ToolCall now belongs to the `assistant` app, whose first migration renames its table: here it
# only leaves this app's model state.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0002_assistant_tool_calls"),
        ("assistant", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ToolCall")],
            database_operations=[],
        ),
    ]
