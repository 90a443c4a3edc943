# The tiktok migrations 0001-0005 squashed on 2026-12-06 (docs/development.md, Migrations).

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("tiktok", "0001_initial"),
        ("tiktok", "0002_webhook_event_dedupe_key_and_credentials"),
        ("tiktok", "0003_image_uploads_and_capabilities"),
        ("tiktok", "0004_inbox"),
        ("tiktok", "0005_message_id_not_unique_on_its_own"),
    ]

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ConversationCapability",
            fields=[
                (
                    "conversation_id",
                    models.CharField(
                        max_length=255, primary_key=True, serialize=False, verbose_name="TikTok conversation id"
                    ),
                ),
                ("image_send", models.BooleanField(help_text="TikTok's IMAGE_SEND capability for this conversation.")),
                ("checked_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"verbose_name_plural": "conversation capabilities"},
        ),
        migrations.CreateModel(
            name="UploadedImage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "file_name",
                    models.CharField(
                        help_text="The file's name in Django's storage (a new photo gets a new name).",
                        max_length=255,
                        unique=True,
                    ),
                ),
                ("media_id", models.CharField(max_length=255, verbose_name="TikTok media id")),
                ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["-uploaded_at"]},
        ),
        migrations.CreateModel(
            name="WebhookEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event", models.CharField(db_index=True, max_length=64)),
                (
                    "tiktok_message_id",
                    models.CharField(
                        blank=True, db_index=True, max_length=255, null=True, verbose_name="TikTok message id"
                    ),
                ),
                ("conversation_id", models.CharField(blank=True, db_index=True, max_length=255)),
                ("raw_body", models.TextField()),
                ("received_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("received", "Received"),
                            ("processing", "Processing"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        db_index=True,
                        default="received",
                        max_length=16,
                    ),
                ),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Each time a worker took it up.", verbose_name="tries"
                    ),
                ),
                ("last_error", models.TextField(blank=True)),
                ("processed_at", models.DateTimeField(blank=True, null=True, verbose_name="done at")),
                (
                    "dedupe_key",
                    models.CharField(
                        help_text="What makes a delivery a repeat: the TikTok message id, or for events without one (read receipts) their conversation, reader and timestamp.",
                        max_length=300,
                        unique=True,
                    ),
                ),
                (
                    "requeued_at",
                    models.DateTimeField(
                        blank=True, help_text="When the sweep last sent it to a worker again.", null=True
                    ),
                ),
                (
                    "next_attempt_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the sweep tries a failed event again; empty on a failed event: it gave up (Retry is yours).",
                        null=True,
                        verbose_name="next try",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(blank=True, help_text="What handling it did, or why nothing.", max_length=300),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="latest try began")),
            ],
            options={"ordering": ["-received_at"]},
        ),
        migrations.CreateModel(
            name="TikTokCredential",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ("access_token", models.TextField(blank=True)),
                ("access_token_expires_at", models.DateTimeField(blank=True, null=True)),
                (
                    "refresh_token",
                    models.TextField(
                        blank=True,
                        help_text="TikTok issues a new one on every refresh; the stored one is always the newest.",
                    ),
                ),
                ("refresh_token_expires_at", models.DateTimeField(blank=True, null=True)),
                ("refreshed_at", models.DateTimeField(blank=True, null=True)),
                ("last_refresh_error", models.TextField(blank=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "TikTok credentials",
                "verbose_name_plural": "TikTok credentials",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="tiktok_credential_singleton")
                ],
            },
        ),
        # The constraint keeps the name it got when 0002 made the column unique, as on databases from before
        # the squash.
        migrations.RunSQL(
            "ALTER TABLE tiktok_webhookevent RENAME CONSTRAINT tiktok_webhookevent_dedupe_key_key"
            " TO tiktok_webhookevent_dedupe_key_bc39ae53_uniq",
            reverse_sql="ALTER TABLE tiktok_webhookevent RENAME CONSTRAINT tiktok_webhookevent_dedupe_key_bc39ae53_uniq"
            " TO tiktok_webhookevent_dedupe_key_key",
        ),
    ]
