# The notifications migrations 0001-0002 squashed on 2026-12-06 (docs/development.md, Migrations).

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("notifications", "0001_initial"),
        ("notifications", "0002_inbox"),
    ]

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("handoff", "Customer asked for a person"),
                            ("order_placed", "Order placed"),
                            ("customer_says_paid", "Customer says they paid"),
                            ("send_failed", "Message not sent"),
                            ("event_failed", "Delivery not handled"),
                        ],
                        db_index=True,
                        max_length=32,
                    ),
                ),
                (
                    "cause",
                    models.CharField(
                        help_text="What it is about, e.g. order_placed:12: one notification per cause.",
                        max_length=200,
                        unique=True,
                    ),
                ),
                ("text", models.TextField()),
                (
                    "path",
                    models.CharField(
                        help_text="Where the owner handles it.", max_length=500, verbose_name="admin page"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("skipped", "Not sent: no OWNER_EMAIL or OWNER_NOTIFY_URL"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("emailed_at", models.DateTimeField(blank=True, null=True)),
                ("pushed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={"ordering": ["-created_at", "-id"]},
        )
    ]
