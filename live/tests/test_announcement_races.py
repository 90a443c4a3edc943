"""Two runs of the announcement job at the same moment: the announcement's unique constraint lets one tell each
customer, the other tells nobody."""

import pytest

from conversations.models import Message
from live import announcements
from live.models import Announcement
from live.tests.test_announcements import customer, schedule
from philia.tests.concurrency import run_at_once

# transaction=True: the calls run in real threads on their own connections, which only see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_announcement_jobs_at_once_tell_each_customer_once():
    for name in ("anna", "ben", "cleo"):
        customer(name)
    stream = schedule()

    told = run_at_once([lambda: announcements.announce_stream(stream_id=stream.pk)] * 2)

    assert sum(told) == 3
    assert Announcement.objects.filter(stream=stream).count() == 3
    assert sorted(Message.objects.filter(direction="outbound").values_list("customer_id", flat=True)) == [
        "anna-id",
        "ben-id",
        "cleo-id",
    ]
