# The orders migrations 0001-0009 squashed on 2026-12-06 (docs/development.md, Migrations).

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

STRIPE_EVENT_STATUSES = [("received", "Received"), ("processing", "Processing"), ("done", "Done"), ("failed", "Failed")]

# The history is append-only in the database too, whatever writes to it. One way out, for `seed --clear`
# emptying a demo shop: DELETE (never UPDATE) inside a transaction that set `philia.clearing_shop`.
APPEND_ONLY_TRIGGER = """
CREATE FUNCTION orders_orderevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('philia.clearing_shop', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'orders_orderevent is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER orders_orderevent_append_only
    BEFORE UPDATE OR DELETE ON orders_orderevent
    FOR EACH ROW EXECUTE FUNCTION orders_orderevent_append_only();
"""
DROP_APPEND_ONLY_TRIGGER = """
DROP TRIGGER orders_orderevent_append_only ON orders_orderevent;
DROP FUNCTION orders_orderevent_append_only();
"""


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("orders", "0001_initial"),
        ("orders", "0002_order_history_append_only"),
        ("orders", "0003_order_payment_deadline"),
        ("orders", "0004_payments"),
        ("orders", "0005_stripe_events"),
        ("orders", "0006_shipping_carrier"),
        ("orders", "0007_offer_rules"),
        ("orders", "0008_order_event_notice"),
        ("orders", "0009_stripe_event_inbox"),
    ]

    dependencies = [
        ("conversations", "0001_squashed_0004_outbound_images"),
        ("inventory", "0001_squashed_0007_offer_floor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Awaiting payment"),
                            ("paid", "Paid"),
                            ("shipped", "Shipped"),
                            ("cancelled", "Cancelled"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("total", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=10)),
                ("payment_reference", models.CharField(blank=True, max_length=100)),
                ("tracking_number", models.CharField(blank=True, max_length=100)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("paid_at", models.DateTimeField(blank=True, null=True)),
                ("shipped_at", models.DateTimeField(blank=True, null=True)),
                ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="orders", to="conversations.customer"
                    ),
                ),
                (
                    "expires_at",
                    models.DateTimeField(
                        blank=True,
                        db_index=True,
                        help_text="Unpaid by then, the order is cancelled and its pieces go back on sale.",
                        null=True,
                    ),
                ),
                (
                    "reminded_at",
                    models.DateTimeField(blank=True, help_text="When the customer was reminded to pay.", null=True),
                ),
                (
                    "customer_says_paid_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="The customer wrote that they paid: check and confirm.",
                        null=True,
                        verbose_name="customer says paid",
                    ),
                ),
                (
                    "needs_refund",
                    models.BooleanField(
                        default=False,
                        help_text="Money came in that cannot be kept (a late payment for pieces sold since, …).",
                    ),
                ),
                (
                    "payment_problem",
                    models.CharField(
                        blank=True,
                        help_text="Why a payment was not accepted (amount or currency not the order's).",
                        max_length=300,
                    ),
                ),
                ("stripe_session_expires_at", models.DateTimeField(blank=True, null=True)),
                (
                    "stripe_session_id",
                    models.CharField(blank=True, max_length=255, verbose_name="Stripe Checkout Session"),
                ),
                (
                    "stripe_session_url",
                    models.URLField(blank=True, max_length=1000, verbose_name="Stripe payment link"),
                ),
                (
                    "carrier",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("usps", "USPS"),
                            ("ups", "UPS"),
                            ("fedex", "FedEx"),
                            ("dhl", "DHL"),
                            ("other", "Other"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "shipping_notice",
                    models.ForeignKey(
                        blank=True,
                        help_text="The DM that told the customer it shipped (its state says whether it went out).",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="conversations.message",
                    ),
                ),
            ],
            options={"ordering": ["-created_at"]},
        ),
        migrations.CreateModel(
            name="OrderEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=32)),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="events", to="orders.order"
                    ),
                ),
                (
                    "actor",
                    models.CharField(
                        choices=[
                            ("customer", "Customer"),
                            ("assistant", "Assistant"),
                            ("owner", "Owner"),
                            ("system", "System"),
                        ],
                        default="system",
                        max_length=16,
                    ),
                ),
                ("from_status", models.CharField(blank=True, max_length=16)),
                (
                    "staff_user",
                    models.ForeignKey(
                        blank=True,
                        help_text="The staff user, when the owner did it in the admin.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("to_status", models.CharField(blank=True, max_length=16)),
                (
                    "not_told_because",
                    models.CharField(blank=True, help_text="Why the customer was not told.", max_length=200),
                ),
                (
                    "notice",
                    models.ForeignKey(
                        blank=True,
                        help_text="The DM that told the customer of this change.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="conversations.message",
                    ),
                ),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
        migrations.CreateModel(
            name="OrderItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("price", models.DecimalField(decimal_places=2, max_digits=10, verbose_name="price at purchase")),
                ("quantity", models.PositiveSmallIntegerField(default=1, editable=False)),
                (
                    "is_active",
                    models.BooleanField(
                        default=True, help_text="False once the order is cancelled and the item is back on sale."
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="order_lines", to="inventory.item"
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="orders.order"
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.CreateModel(
            name="Payment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("payment", "Payment"), ("refund", "Refund")], default="payment", max_length=16
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        choices=[("manual", "Manual (recorded by the owner)"), ("stripe", "Stripe")], max_length=16
                    ),
                ),
                (
                    "reference",
                    models.CharField(
                        blank=True,
                        help_text="Stripe session / payment intent / charge, or the owner's note.",
                        max_length=255,
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10)),
                ("currency", models.CharField(max_length=3)),
                (
                    "accepted",
                    models.BooleanField(
                        default=True, help_text="False when the amount or currency was not the order's."
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="payments", to="orders.order"
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
        migrations.CreateModel(
            name="StripeEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.CharField(max_length=255, unique=True, verbose_name="Stripe event id")),
                ("event_type", models.CharField(max_length=100)),
                ("payload", models.JSONField()),
                ("status", models.CharField(choices=STRIPE_EVENT_STATUSES, default="received", max_length=16)),
                (
                    "outcome",
                    models.CharField(blank=True, help_text="What handling it did, or why nothing.", max_length=300),
                ),
                ("received_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("processed_at", models.DateTimeField(blank=True, null=True, verbose_name="done at")),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stripe_events",
                        to="orders.order",
                    ),
                ),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Each time a worker took it up.", verbose_name="tries"
                    ),
                ),
                ("last_error", models.TextField(blank=True)),
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
                    "requeued_at",
                    models.DateTimeField(
                        blank=True, help_text="When the sweep last sent it to a worker again.", null=True
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="latest try began")),
            ],
            options={"ordering": ["-received_at"]},
        ),
        migrations.CreateModel(
            name="Offer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for the owner"),
                            ("countered", "Countered, waiting for the customer"),
                            ("accepted", "Accepted"),
                            ("declined", "Declined"),
                            ("expired", "Expired"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="offers", to="conversations.customer"
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="offers", to="inventory.item"
                    ),
                ),
                ("agreed_price", models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True)),
                (
                    "counter_amount",
                    models.DecimalField(
                        blank=True, decimal_places=2, help_text="The shop's counter-offer.", max_digits=10, null=True
                    ),
                ),
                ("expires_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                (
                    "hold_since",
                    models.DateTimeField(blank=True, help_text="When the hold at the agreed price began.", null=True),
                ),
            ],
            options={
                "ordering": ["-created_at"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="offer_amount_positive")
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(condition=models.Q(("total__gte", 0)), name="order_total_not_negative"),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "shipped"), _negated=True),
                    models.Q(("tracking_number", ""), _negated=True),
                    _connector="OR",
                ),
                name="order_shipped_has_tracking",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.CheckConstraint(condition=models.Q(("quantity", 1)), name="order_item_quantity_is_one"),
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.CheckConstraint(condition=models.Q(("price__gt", 0)), name="order_item_price_positive"),
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)), fields=("item",), name="item_sold_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="payment_amount_positive"),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("provider", "stripe")),
                fields=("provider", "kind", "reference"),
                name="stripe_payment_recorded_once",
            ),
        ),
        # Named as before the squash, when the status column was `state` (0009 renamed it): its two indexes and, on
        # PostgreSQL 18 and later (which names NOT NULL constraints), its NOT NULL constraint.
        migrations.RunSQL(
            """
            CREATE INDEX orders_stripeevent_state_66d4e076 ON orders_stripeevent (status);
            CREATE INDEX orders_stripeevent_state_66d4e076_like ON orders_stripeevent (status varchar_pattern_ops);
            DO $$ BEGIN
                ALTER TABLE orders_stripeevent
                    RENAME CONSTRAINT orders_stripeevent_status_not_null TO orders_stripeevent_state_not_null;
            EXCEPTION WHEN undefined_object THEN NULL;
            END $$;
            """,
            reverse_sql="DROP INDEX orders_stripeevent_state_66d4e076_like; DROP INDEX orders_stripeevent_state_66d4e076",
            state_operations=[
                migrations.AlterField(
                    model_name="stripeevent",
                    name="status",
                    field=models.CharField(
                        choices=STRIPE_EVENT_STATUSES, db_index=True, default="received", max_length=16
                    ),
                ),
            ],
        ),
        migrations.RunSQL(APPEND_ONLY_TRIGGER, reverse_sql=DROP_APPEND_ONLY_TRIGGER),
    ]
