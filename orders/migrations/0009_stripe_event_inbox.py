# The Stripe events become an inbox like TikTok's (philia.inbox, issue 19): state → status, handled_at →
# processed_at, handled and ignored → done, and the tries, error and next try of a failed event.

import django.utils.timezone
from django.db import migrations, models


def to_inbox_states(apps, schema_editor):
    StripeEvent = apps.get_model("orders", "StripeEvent")
    StripeEvent.objects.filter(status__in=["handled", "ignored"]).update(status="done")


def to_old_states(apps, schema_editor):
    StripeEvent = apps.get_model("orders", "StripeEvent")
    StripeEvent.objects.filter(status="done").update(status="handled")
    StripeEvent.objects.filter(status__in=["processing", "failed"]).update(status="received")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_order_event_notice"),
    ]

    operations = [
        migrations.RenameField(model_name="stripeevent", old_name="state", new_name="status"),
        migrations.RenameField(model_name="stripeevent", old_name="handled_at", new_name="processed_at"),
        migrations.AlterField(
            model_name="stripeevent",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("processing", "Processing"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                    # Until the data step below has run.
                    ("handled", "Handled"),
                    ("ignored", "Ignored"),
                ],
                db_index=True,
                default="received",
                max_length=16,
            ),
        ),
        migrations.RunPython(to_inbox_states, to_old_states),
        migrations.AlterField(
            model_name="stripeevent",
            name="status",
            field=models.CharField(
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
        migrations.AlterField(
            model_name="stripeevent",
            name="processed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="done at"),
        ),
        migrations.AddField(
            model_name="stripeevent",
            name="attempts",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Each time a worker took it up.", verbose_name="tries"
            ),
        ),
        migrations.AddField(
            model_name="stripeevent",
            name="last_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="stripeevent",
            name="next_attempt_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the sweep tries a failed event again; empty on a failed event: it gave up (Retry is "
                "yours).",
                null=True,
                verbose_name="next try",
            ),
        ),
        migrations.AddField(
            model_name="stripeevent",
            name="requeued_at",
            field=models.DateTimeField(
                blank=True, help_text="When the sweep last sent it to a worker again.", null=True
            ),
        ),
        migrations.AddField(
            model_name="stripeevent",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="latest try began"),
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="outcome",
            field=models.CharField(blank=True, help_text="What handling it did, or why nothing.", max_length=300),
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="received_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
    ]
