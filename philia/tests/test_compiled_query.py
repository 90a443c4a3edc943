"""A query compiled to SQL once per process gives, run after run, what the queryset it was built from gives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Item
from philia.db import STAND_IN_TIME, CompiledQuery
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def _messages(customer: Customer, texts: list[str], *, at) -> None:
    for minutes, text in enumerate(texts):
        Message.objects.create(
            customer=customer, role="user", direction="inbound", text=text, created_at=at + timedelta(minutes=minutes)
        )


def test_runs_give_what_the_queryset_gives_and_it_is_built_once():
    now = timezone.now()
    anna, ben = make_customer("anna"), make_customer("ben")
    _messages(anna, ["hi", "got levis?", "in 32"], at=now - timedelta(hours=1))
    _messages(ben, ["hello"], at=now - timedelta(minutes=5))
    builds = []

    def build(customer_id, since):
        builds.append(customer_id)
        return (
            Customer.objects.filter(pk=customer_id)
            .annotate(recent=Count("messages", filter=Q(messages__created_at__gte=since)))
            .order_by()
        )

    query = CompiledQuery(build, customer_id="\x00customer", since=STAND_IN_TIME)
    runs = [
        (customer, since)
        for customer in ("anna", "ben", "nobody")
        for since in (now - timedelta(days=1), now - timedelta(minutes=30))
    ]
    with CaptureQueriesContext(connection) as queries:
        results = [[(row.pk, row.recent) for row in query.run(customer_id=c, since=s)] for c, s in runs]

    expected = [[(row.pk, row.recent) for row in build(c, s)] for c, s in runs]
    assert results == expected == [[("anna", 3)], [("anna", 0)], [("ben", 1)], [("ben", 1)], [], []]
    assert len(queries.captured_queries) == len(runs)
    assert builds.count("\x00customer") == 1


def test_a_stand_in_the_query_does_not_use_is_refused():
    query = CompiledQuery(lambda customer_id: Customer.objects.all(), customer_id="\x00customer")
    with pytest.raises(ValueError, match="customer_id"):
        query.run(customer_id="anna")


def test_a_run_must_give_every_value_and_no_other():
    query = CompiledQuery(lambda customer_id: Customer.objects.filter(pk=customer_id), customer_id="\x00customer")
    with pytest.raises(TypeError):
        query.run()
    with pytest.raises(TypeError):
        query.run(customer_id="anna", since=timezone.now())


def test_rows_come_back_as_the_orm_reads_them_json_decimals_and_deferred_fields():
    item = make_item(sku="VNT-A-001", price="45.50", measurements={"waist": 32, "length": 30})
    query = CompiledQuery(lambda sku: Item.objects.filter(sku=sku).only("sku", "price", "measurements"), sku="\x00sku")

    [read] = query.run(sku="VNT-A-001")
    [orm] = Item.objects.filter(sku="VNT-A-001").only("sku", "price", "measurements")

    assert (read.pk, read.sku, read.price, read.measurements) == (orm.pk, orm.sku, orm.price, orm.measurements)
    assert read.measurements == {"waist": 32, "length": 30} and read.price == Decimal("45.50")
    assert read.get_deferred_fields() == orm.get_deferred_fields() and "name" in read.get_deferred_fields()
    assert read.name == item.name  # a deferred field loads on use, as the ORM's


def test_constants_written_in_give_the_same_rows_and_leave_only_the_stand_ins_as_parameters():
    # Written in, PostgreSQL weighs a prepared statement's generic plan by its constants ("available" is most of
    # the stock), as it weighs a plan for the values of one run.
    make_item(sku="VNT-A-001", name="50% off tee")
    make_item(sku="VNT-A-002", name="Tee", status=Item.Status.SOLD)
    make_item(sku="VNT-A-003", name="Another 50% tee")

    def build(sku):
        return Item.objects.filter(status=Item.Status.AVAILABLE, name__contains="50%").exclude(sku=sku).order_by("pk")

    query = CompiledQuery.constants_inline(build, sku="\x00sku")

    assert [item.sku for item in query.run(sku="VNT-A-003")] == ["VNT-A-001"]
    assert [item.sku for item in query.run(sku="nothing")] == ["VNT-A-001", "VNT-A-003"]
    compiled = query.sql(sku="nothing")
    assert compiled.params == ["nothing"] and "'available'" in compiled.text
