# The conversations migrations 0001-0004 squashed on 2026-12-06 (docs/development.md, Migrations).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("conversations", "0001_initial"),
        ("conversations", "0002_assistant_tool_calls"),
        ("conversations", "0003_tool_calls_move_to_assistant"),
        ("conversations", "0004_outbound_images"),
    ]

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                (
                    "tiktok_user_id",
                    models.CharField(max_length=128, primary_key=True, serialize=False, verbose_name="TikTok user id"),
                ),
                ("username", models.CharField(blank=True, db_index=True, max_length=100)),
                ("display_name", models.CharField(blank=True, max_length=150)),
                (
                    "conversation_id",
                    models.CharField(
                        blank=True,
                        help_text="What replies are sent to.",
                        max_length=255,
                        verbose_name="TikTok conversation id",
                    ),
                ),
                (
                    "last_inbound_at",
                    models.DateTimeField(
                        blank=True,
                        db_index=True,
                        help_text="The customer's last message: the 48-hour reply window runs from here.",
                        null=True,
                    ),
                ),
                (
                    "last_read_at",
                    models.DateTimeField(
                        blank=True, help_text="When the customer last read the shop's messages.", null=True
                    ),
                ),
                (
                    "bot_paused_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="While set and in the future, the assistant stays quiet for this customer.",
                        null=True,
                    ),
                ),
                (
                    "handoff_requested_at",
                    models.DateTimeField(
                        blank=True,
                        db_index=True,
                        help_text="The customer asked for a person; cleared when the owner resumes the bot.",
                        null=True,
                    ),
                ),
                ("marketing_consent", models.BooleanField(default=False)),
                (
                    "opted_out_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="The customer sent STOP: nothing automated is sent until they send START.",
                        null=True,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={"ordering": ["-last_inbound_at"]},
        ),
        migrations.CreateModel(
            name="Message",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("user", "Customer"),
                            ("assistant", "Assistant"),
                            ("staff", "Staff"),
                            ("system", "System"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "direction",
                    models.CharField(choices=[("inbound", "Inbound"), ("outbound", "Outbound")], max_length=16),
                ),
                (
                    "content_type",
                    models.CharField(
                        default="text",
                        help_text="TikTok's message type: text, image, sticker, share_post, …",
                        max_length=32,
                    ),
                ),
                ("text", models.TextField(blank=True)),
                (
                    "tiktok_message_id",
                    models.CharField(
                        blank=True, max_length=255, null=True, unique=True, verbose_name="TikTok message id"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("queued", "Queued"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("blocked", "Blocked"),
                            ("dry_run", "Dry run (not sent)"),
                        ],
                        db_index=True,
                        max_length=16,
                    ),
                ),
                ("error_code", models.CharField(blank=True, max_length=32)),
                ("error", models.TextField(blank=True, verbose_name="error or reason")),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("sending_started_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("ai_model", models.CharField(blank=True, max_length=100)),
                ("prompt_tokens", models.PositiveIntegerField(default=0)),
                ("completion_tokens", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="conversations.customer",
                    ),
                ),
                (
                    "in_reply_to",
                    models.ForeignKey(
                        blank=True,
                        help_text="The inbound message this outbound message answers.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replies",
                        to="conversations.message",
                    ),
                ),
                (
                    "image_name",
                    models.CharField(
                        blank=True,
                        help_text="Outbound image messages: the photo file sent, by its name in Django's storage.",
                        max_length=255,
                        verbose_name="image file",
                    ),
                ),
                (
                    "photo_id",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Outbound image messages: the item photo sent (inventory's ItemPhoto id; not a foreign key, since conversations sits below inventory).",
                        null=True,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["customer", "created_at"], name="message_customer_created")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("direction", "outbound"), models.Q(("state", ""), _negated=True)),
                            models.Q(("direction", "inbound"), ("state", "")),
                            _connector="OR",
                        ),
                        name="message_outbound_has_state",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("role", "assistant")),
                        fields=("in_reply_to", "image_name"),
                        name="one_assistant_reply_part_per_message",
                    ),
                ],
            },
        ),
        # The table of the assistant's ToolCall starts here and `assistant` 0001 renames it, as before the squash, so
        # that its index and constraint names are the same on every database. Database only: the model is
        # assistant's.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.CreateModel(
                    name="ToolCall",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True)),
                        ("idempotency_key", models.CharField(max_length=64, unique=True)),
                        ("tool", models.CharField(max_length=40)),
                        ("arguments", models.JSONField()),
                        ("succeeded", models.BooleanField()),
                        ("result", models.JSONField()),
                        ("created_at", models.DateTimeField(db_index=True)),
                        ("customer", models.ForeignKey(on_delete=models.CASCADE, to="conversations.customer")),
                        ("message", models.ForeignKey(on_delete=models.CASCADE, to="conversations.message")),
                    ],
                ),
            ],
        ),
    ]
