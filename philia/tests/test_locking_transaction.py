"""`locking_transaction` bounds lock waits once per transaction, however deeply it is nested.

`django_db(transaction=True)` where another connection holds the lock: it must be committed to be seen.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.locks import lock_items
from inventory.models import Item
from philia.db import Busy, locking_transaction
from philia.tests.concurrency import items_locked_elsewhere
from philia.tests.factories import make_item


def lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_nested_locking_transactions_set_the_lock_timeout_once(settings):
    settings.LOCK_TIMEOUT_SECONDS = 1.5

    with CaptureQueriesContext(connection) as captured:
        with locking_transaction():
            with transaction.atomic():
                with locking_transaction():
                    inner = lock_timeout()
            after_inner = lock_timeout()

    sets = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("SET LOCAL lock_timeout")]
    assert sets == ["SET LOCAL lock_timeout = 1500"]
    assert (inner, after_inner) == ("1500ms", "1500ms")


@pytest.mark.django_db
def test_a_locking_transaction_after_a_rolled_back_one_bounds_its_waits_again(settings):
    settings.LOCK_TIMEOUT_SECONDS = 0.25

    with transaction.atomic():
        with pytest.raises(RuntimeError):
            with locking_transaction():  # a savepoint: rolling it back undoes its SET LOCAL too
                raise RuntimeError("roll this one back")
        unbounded = lock_timeout()
        with locking_transaction():
            second = lock_timeout()

    assert (unbounded, second) == ("0", "250ms")


@pytest.mark.django_db(transaction=True)
def test_a_nested_wait_that_runs_out_is_busy_and_the_outer_transaction_goes_on(settings):
    settings.LOCK_TIMEOUT_SECONDS = 0.2
    item = make_item("LOCKED-1")
    with items_locked_elsewhere([item.pk]):
        with locking_transaction():
            with pytest.raises(Busy):
                with locking_transaction():
                    list(lock_items(ids=[item.pk]))
            Item.objects.filter(pk=item.pk).values_list("sku", flat=True).get()  # the outer one still works
            still_bounded = lock_timeout()

    assert still_bounded == "200ms"
