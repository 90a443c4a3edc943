"""`manage.py simulate "text" --user NAME`: be a TikTok customer for one message, without TikTok."""

import argparse
import time
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from conversations.models import Message
from philia.management.arguments import OneLineErrors, add_timeout, text
from tiktok.models import WebhookEvent
from tiktok.simulation import signed_customer_message

FINAL_STATES = {Message.State.SENT, Message.State.DRY_RUN, Message.State.BLOCKED, Message.State.FAILED}


def shop_url(value: str) -> str:
    """An http(s) address on one line."""
    url = text()(value)
    if not url.lower().startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError("must start with http:// or https://")
    return url


class Command(OneLineErrors):
    help = (
        "Send a signed im_receive_msg, exactly as TikTok would, to a running shop; wait for the shop's reply "
        "and print it. Needs TIKTOK_APP_SECRET and TIKTOK_BUSINESS_ID (with DEBUG=true local defaults apply) "
        "and the same database as the server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "text", type=text(max_length=6000, single_line=False), help="What the customer writes (at most 6000)."
        )
        parser.add_argument(
            "--user", required=True, type=text(max_length=100), help="The customer's TikTok username (any name)."
        )
        parser.add_argument(
            "--url", type=shop_url, default="http://127.0.0.1:8000", help="The running shop (default %(default)s)."
        )
        add_timeout(parser, waits_for="the reply")

    def handle(self, *args: Any, **options: Any) -> None:
        secret, business_id = settings.TIKTOK_APP_SECRET, settings.TIKTOK_BUSINESS_ID
        if not secret or not business_id:
            raise CommandError(
                "TIKTOK_APP_SECRET and TIKTOK_BUSINESS_ID must be set (in .env or the environment) to the values "
                "the server uses; for the local `make run` server, run this with DEBUG=true to use its defaults."
            )
        body, headers, content = signed_customer_message(
            text=options["text"], username=options["user"].lstrip("@"), business_id=business_id, secret=secret
        )
        url = options["url"].rstrip("/") + "/webhooks/tiktok"
        try:
            response = requests.post(url, data=body, headers=headers, timeout=(3.05, 15))
        except requests.RequestException as exc:
            raise CommandError(
                f"Cannot reach the shop at {url} ({type(exc).__name__}): is it running (make run)?"
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        # Another server at --url may answer anything: say what came back, on one line.
        shown = (answer.get("detail") or answer.get("status")) if isinstance(answer, dict) else None
        shown = " ".join(str(shown or response.text[:200] or "(empty)").split())
        if response.status_code != 200:
            raise CommandError(f"The shop answered HTTP {response.status_code}: {shown}")
        if not isinstance(answer, dict) or answer.get("status") != "accepted":
            raise CommandError(f"The shop did not accept the message: {shown}. Is {url} the shop?")
        self.stderr.write(f"@{content['from']}: {options['text']}")
        self._print_reply(message_id=content["message_id"], timeout=options["timeout"])

    def _print_reply(self, *, message_id: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = _reply_answering(message_id)
            if reply is not None and reply.state in FINAL_STATES:
                if reply.in_reply_to is not None and reply.in_reply_to.tiktok_message_id != message_id:
                    self.stderr.write(f"(answered together with your later message: {reply.in_reply_to.text!r})")
                self.stdout.write(f"shop: {reply.text}")
                if reply.state != Message.State.SENT:
                    self.stderr.write(f"[{reply.state}: {reply.error}]" if reply.error else f"[{reply.state}]")
                return
            event = WebhookEvent.objects.filter(tiktok_message_id=message_id).first()
            if reply is None and event is not None and event.status == WebhookEvent.Status.DONE:
                raise CommandError("The shop handled the message and chose not to reply (is the bot paused?).")
            if event is not None and event.status == WebhookEvent.Status.FAILED:
                first_line = (event.last_error.splitlines() or [""])[0]
                raise CommandError(f"The shop failed to handle the message: {first_line}")
            time.sleep(0.25)
        raise CommandError(
            f"No reply within {timeout:g}s. Is a worker running (make run starts one), and does this command "
            "use the server's database?"
        )


def _reply_answering(message_id: str) -> Message | None:
    """The shop's reply that answers this message: in reply to it, or, when the customer's bubbles that waited
    together were answered as one turn, in reply to a later message of theirs."""
    inbound = Message.objects.filter(tiktok_message_id=message_id).only("pk", "customer_id").first()
    if inbound is None:
        return None
    return (
        Message.objects.filter(
            direction=Message.Direction.OUTBOUND,
            in_reply_to__customer_id=inbound.customer_id,
            in_reply_to_id__gte=inbound.pk,
        )
        .select_related("in_reply_to")
        .order_by("in_reply_to_id", "pk")
        .first()
    )
