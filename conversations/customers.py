"""Writes to customers: who they are (upserted from what TikTok sends), whether the assistant may answer them
(pauses, STOP/START, a request for a person), and what they have read."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.exceptions import InvalidCustomerId
from conversations.models import Customer, Message
from notifications.services import notify_handoff

logger = logging.getLogger(__name__)


# Paused "until resumed" is stored as a far-off date so one column answers "is the bot paused?".
INDEFINITE_PAUSE = timedelta(days=3650)


def get_or_create_customer(
    *, tiktok_user_id: str, username: str = "", display_name: str = "", lock: bool = False
) -> Customer:
    """The customer with this TikTok user id, created if new. Fills in a username it did not know.

    With `lock` (inside a transaction) the row stays locked FOR NO KEY UPDATE until the transaction ends.
    """
    customer, _ = upsert_customer(
        tiktok_user_id=tiktok_user_id, username=username, display_name=display_name, lock=lock
    )
    return customer


def clean_customer_id(tiktok_user_id: str) -> str:
    """A TikTok user id as stored (stripped), or InvalidCustomerId when it is empty or too long."""
    tiktok_user_id = tiktok_user_id.strip()
    if not tiktok_user_id:
        raise InvalidCustomerId("A customer needs a TikTok user id.")
    limit = Customer._meta.get_field("tiktok_user_id").max_length
    if limit is not None and len(tiktok_user_id) > limit:
        raise InvalidCustomerId(f"A TikTok user id is at most {limit} characters, not {len(tiktok_user_id)}.")
    return tiktok_user_id


def upsert_customer(
    *, tiktok_user_id: str, username: str = "", display_name: str = "", lock: bool = False, **new: object
) -> tuple[Customer, bool]:
    """get_or_create_customer, also saying whether the customer is new; `new`: more fields of a new row."""
    tiktok_user_id = clean_customer_id(tiktok_user_id)
    customers = Customer.objects.select_for_update(no_key=True) if lock else Customer.objects.all()
    customer, created = customers.get_or_create(
        tiktok_user_id=tiktok_user_id, defaults={"username": username, "display_name": display_name, **new}
    )
    if created:
        return customer, True
    # TikTok may send a new username or display name with any message: keep what we know current.
    changed = {
        field: value
        for field, value in (("username", username), ("display_name", display_name))
        if value and getattr(customer, field) != value
    }
    if changed:
        for field, value in changed.items():
            setattr(customer, field, value)
        customer.save(update_fields=[*changed, "updated_at"])
    return customer, False


def pause_bot(*, customer: Customer, hours: float | None = None, now: datetime | None = None) -> Customer:
    """Keep the assistant quiet for this customer for `hours`, or until resumed when `hours` is None.

    One UPDATE of the customer row; pausing again replaces the previous pause.
    """
    if hours is not None and hours <= 0:
        raise ValueError(f"A pause lasts a positive number of hours, not {hours}.")
    now = now or timezone.now()
    until = now + (INDEFINITE_PAUSE if hours is None else timedelta(hours=hours))
    Customer.objects.filter(pk=customer.pk).update(bot_paused_until=until, updated_at=now)
    customer.bot_paused_until = until
    logger.info("bot paused", extra={"customer": customer.pk, "until": until})
    return customer


def resume_bot(*, customer: Customer) -> Customer:
    """Let the assistant answer this customer again, and clear a pending request for a person. One UPDATE."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(bot_paused_until=None, handoff_requested_at=None, updated_at=now)
    customer.bot_paused_until = None
    customer.handoff_requested_at = None
    logger.info("bot resumed", extra={"customer": customer.pk})
    return customer


def opt_out(*, customer: Customer, now: datetime | None = None) -> Customer:
    """The customer sent STOP: nothing automated is sent to them until they opt back in, and their marketing
    consent is withdrawn (START does not give it back). Idempotent."""
    now = now or timezone.now()
    updated = Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=True).update(
        opted_out_at=now, marketing_consent=False, updated_at=now
    )
    if updated:
        customer.opted_out_at, customer.marketing_consent = now, False
        logger.info("customer opted out", extra={"customer": customer.pk})
    else:
        customer.refresh_from_db(fields=["opted_out_at", "marketing_consent"])
    return customer


def record_marketing_consent(*, customer: Customer, now: datetime | None = None) -> Customer:
    """The customer asked to hear about lives and drops: their consent, with its time. Giving it again keeps the
    first time. Idempotent."""
    now = now or timezone.now()
    updated = Customer.objects.filter(pk=customer.pk, marketing_consent=False).update(
        marketing_consent=True, marketing_consent_at=now, updated_at=now
    )
    if updated:
        logger.info("marketing consent given", extra={"customer": customer.pk})
    customer.refresh_from_db(fields=["marketing_consent", "marketing_consent_at"])
    return customer


def withdraw_marketing_consent(*, customer: Customer, now: datetime | None = None) -> bool:
    """ "no suggestions": no more news of lives, drops or new pieces (STOP withdraws it too). False when there was no
    consent to withdraw. Idempotent."""
    now = now or timezone.now()
    withdrawn = Customer.objects.filter(pk=customer.pk, marketing_consent=True).update(
        marketing_consent=False, updated_at=now
    )
    if withdrawn:
        logger.info("marketing consent withdrawn", extra={"customer": customer.pk})
    customer.refresh_from_db(fields=["marketing_consent"])
    return bool(withdrawn)


def opt_in(*, customer: Customer) -> Customer:
    """The customer sent START: automated replies resume. Idempotent."""
    updated = Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, updated_at=timezone.now()
    )
    customer.opted_out_at = None
    if updated:
        logger.info("customer opted in", extra={"customer": customer.pk})
    return customer


def request_handoff(*, customer: Customer, now: datetime | None = None) -> Customer:
    """The customer asked for a person: flag the conversation for the owner and keep the bot quiet until the
    owner resumes it; the owner is notified once per hand-off (in the same transaction, sent after commit).

    Locks the customer row (FOR NO KEY UPDATE). Asking again while already waiting keeps the first request's
    time — "waiting since" — so it is the same hand-off and the same notification."""
    now = now or timezone.now()
    with transaction.atomic():
        waiting_since = (
            Customer.objects.select_for_update(no_key=True)
            .filter(pk=customer.pk)
            .values_list("handoff_requested_at", flat=True)
            .first()
        )
        requested_at = waiting_since or now
        Customer.objects.filter(pk=customer.pk).update(handoff_requested_at=requested_at, updated_at=now)
        pause_bot(customer=customer, hours=None, now=now)
        notify_handoff(customer_id=customer.pk, customer_name=str(customer), requested_at=requested_at)
    customer.handoff_requested_at = requested_at  # pause_bot has set bot_paused_until on the instance already
    logger.info("hand-off to the owner requested", extra={"customer": customer.pk})
    return customer


def pause_for_owner(*, customer: Customer, since: datetime) -> None:
    """Pause the assistant for BOT_PAUSE_AFTER_OWNER_REPLY hours from `since`, never shortening a longer
    pause. One conditional UPDATE: a longer pause committed meanwhile (a hand-off) is re-checked by the
    database, not overwritten from a stale read."""
    hours = settings.BOT_PAUSE_AFTER_OWNER_REPLY
    if hours <= 0:
        return
    until = since + timedelta(hours=hours)
    paused = (
        Customer.objects.filter(pk=customer.pk)
        .filter(Q(bot_paused_until__isnull=True) | Q(bot_paused_until__lt=until))
        .update(bot_paused_until=until, updated_at=timezone.now())
    )
    if paused:
        customer.bot_paused_until = until
        logger.info("bot paused", extra={"customer": customer.pk, "until": until})


def record_read_receipt(*, tiktok_user_id: str, read_at: datetime) -> bool:
    """The customer read the conversation up to `read_at`. Never moves backwards; unknown customers are
    skipped. True if recorded."""
    updated = (
        Customer.objects.filter(pk=tiktok_user_id)
        .filter(Q(last_read_at__isnull=True) | Q(last_read_at__lt=read_at))
        .update(last_read_at=read_at, updated_at=timezone.now())
    )
    return bool(updated)


def clear_conversations() -> dict[str, int]:
    """Delete every message and every customer (`seed --clear`); returns how many of each. Raises
    `ProtectedError` while an order or a hold still refers to a customer (clear orders and stock first)."""
    with transaction.atomic():
        _, messages = Message.objects.all().delete()
        _, customers = Customer.objects.all().delete()
    return {"messages": messages.get(Message._meta.label, 0), "customers": customers.get(Customer._meta.label, 0)}
