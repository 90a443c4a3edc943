"""The offline assistant on the embedded default (SQLite), in a separate process: the shop must be
fully usable with nothing installed. The rest of the suite runs on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from assistant.services import answer
from conversations.models import Customer, Message
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Order
add_items(items=SEED_ITEMS)
customer = Customer.objects.create(tiktok_user_id="embedded-anna", username="anna")
replies = []
for text in ["got any nike jackets in L?", "I'll take it", "I want to buy it", "where is my order?", "STOP", "hi"]:
    inbound = Message.objects.create(customer=customer, role="user", direction="inbound", text=text)
    reply = answer(customer=customer, message=inbound)
    customer.refresh_from_db()
    if reply is not None:
        Message.objects.create(customer=customer, role="assistant", direction="outbound", state="queued", text=reply.text, in_reply_to=inbound)
    replies.append(None if reply is None else reply.text.splitlines()[0])
order = Order.objects.get()
print(json.dumps({"replies": replies, "order": [order.pk, str(order.total)], "item": Item.objects.get(sku="VNT-NIKE-WB-001").status}))
"""


def test_a_whole_sale_works_offline_on_sqlite(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "REDIS_URL": "",
        "OPENAI_API_KEY": "",
        "DJANGO_SETTINGS_MODULE": "philia.settings",
        "LOG_LEVEL": "ERROR",
    }

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    order_number = outcome["order"][0]
    assert outcome["replies"][0] == "Here's what I have: Nike jackets in L:"
    assert outcome["replies"][1].startswith(
        "Done! VNT-NIKE-WB-001 · Vintage Nike Windbreaker · L · $45 is on hold for you until "
    )
    assert outcome["replies"][2] == f"Your order #{order_number} is in:"
    assert outcome["replies"][3] == f"Order #{order_number} · 1 item · $45 · awaiting payment"
    assert outcome["replies"][4].startswith("You're unsubscribed")
    assert outcome["replies"][5] is None
    assert (outcome["order"][1], outcome["item"]) == ("45.00", "sold")
