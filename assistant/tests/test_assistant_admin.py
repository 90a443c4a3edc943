"""The owner can see what the assistant did, in the admin, and cannot edit it."""

from django.urls import reverse

from assistant.models import ToolCall
from assistant.tests.assistant_support import say


def test_assistant_actions_are_listed_read_only(stock, anna, admin_client):
    say(anna, "reserve VNT-NIKE-WB-001")
    call = ToolCall.objects.get()

    listing = admin_client.get(reverse("admin:assistant_toolcall_changelist"))
    detail = admin_client.get(reverse("admin:assistant_toolcall_change", args=[call.pk]))

    assert listing.status_code == 200 and b"hold_item" in listing.content
    assert b'<td class="field-what_it_did">Held VNT-NIKE-WB-001</td>' in listing.content
    assert detail.status_code == 200 and b"VNT-NIKE-WB-001" in detail.content
    assert b'name="_save"' not in detail.content
    assert admin_client.get(reverse("admin:assistant_toolcall_add")).status_code == 403
