from django.db import migrations, models


def fill_dedupe_keys(apps, schema_editor):
    WebhookEvent = apps.get_model("tiktok", "WebhookEvent")
    for event in WebhookEvent.objects.filter(dedupe_key__isnull=True).only("pk", "tiktok_message_id"):
        event.dedupe_key = f"message:{event.tiktok_message_id}" if event.tiktok_message_id else f"event:{event.pk}"
        event.save(update_fields=["dedupe_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("tiktok", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="dedupe_key",
            field=models.CharField(max_length=300, null=True),
        ),
        migrations.RunPython(fill_dedupe_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookevent",
            name="dedupe_key",
            field=models.CharField(
                help_text="What makes a delivery a repeat: the TikTok message id, or for events without one "
                "(read receipts) their conversation, reader and timestamp.",
                max_length=300,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="requeued_at",
            field=models.DateTimeField(
                blank=True, help_text="When the sweep last re-enqueued this event (it was still waiting).", null=True
            ),
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
    ]
