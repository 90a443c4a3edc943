"""Delivering the outbox: one queued outbound message at a time, through TikTok, at most once.

An image message uploads its photo first (once per photo file: the media id is remembered) and parts of
one answer go in the order they were queued: a part waits while an earlier one is pending, and each
part, once settled, hands on to the next.

queued → sending → sent | failed        (queued again when TikTok did not take it, or timed out: then its
                                         echo, if it did take it, marks the row sent before the retry)
queued → blocked | dry_run              (TikTok's rules or the shop's say no / no access token)
sending (read_timeout) → sent | queued  (TikTok's answer was lost after the request went out: it may have taken
                                         it. Kept in `sending`; OUTBOX_UNCONFIRMED_CHECK_SECONDS later its echo
                                         has marked it sent, or TikTok's list of the conversation's messages
                                         shows it (sent), or it is queued to go again — never resent blindly)
"""

import logging
from contextlib import nullcontext
from datetime import datetime, timedelta
from functools import partial
from typing import NoReturn

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone
from dramatiq.common import compute_backoff

from conversations.images import PhotoMissing, send_image
from conversations.models import Customer, Message
from conversations.queueing import send_on_commit
from conversations.selectors import (
    UNCONFIRMED,
    ahead_in_the_outbox,
    earlier_part_pending,
    next_part_waiting,
    other_parts,
    outbound_block_reason,
    second_message_from_customer,
    stuck_sending_after,
)
from notifications.services import notify_send_failed
from philia import jobs
from philia.db import update_rows
from tiktok.client import (
    ConversationMessage,
    TikTokClient,
    TikTokError,
    TikTokRejected,
    TikTokRetryableError,
    TikTokTokenError,
    TikTokUnconfirmed,
)
from tiktok.credentials import (
    TokenRefreshUnavailable,
    can_refresh_access_token,
    current_access_token,
    refresh_access_token,
)

logger = logging.getLogger(__name__)


class SendLater(Exception):
    """TikTok did not take the message this time (throttled, its own failure, a timeout); the row is
    back in `queued` and the job should be retried after `delay_ms` (`retry_delay_ms` of its tries)."""

    def __init__(self, *, message_id: int, error: TikTokError, delay_ms: int) -> None:
        super().__init__(f"message {message_id}: {error}")
        self.message_id = message_id
        self.error = error
        self.delay_ms = delay_ms


class ConfirmLater(Exception):
    """The send went out but TikTok's answer was lost (a read timeout): the row stays in `sending` and
    `confirm_unconfirmed_send` should run OUTBOX_UNCONFIRMED_CHECK_SECONDS later."""

    def __init__(self, *, message_id: int) -> None:
        super().__init__(f"message {message_id}: TikTok's answer timed out; to be confirmed")
        self.message_id = message_id


class CustomerBusy(Exception):
    """An earlier message to the same customer is being sent: the job should come back shortly."""

    def __init__(self, *, message_id: int) -> None:
        super().__init__(f"message {message_id} to the same customer is being sent")
        self.message_id = message_id


def retry_delay_ms(attempts: int) -> int:
    """How long a message TikTok did not take waits before its next try, from the tries its row has made: 2 to 4 s
    after the first, doubling with each, at most 5 minutes (jittered, so a burst does not come back at once).
    One schedule whichever way a try failed (an error, or a timeout the look-up showed was not taken), so
    OUTBOX_MAX_ATTEMPTS tries (9 by default) span about 8 minutes of TikTok trouble, never a few seconds."""
    _, delay = compute_backoff(max(attempts - 1, 0), factor=2_000, max_backoff=300_000)
    return delay


def _gave_up(tries: int, last_error: str) -> str:
    """The error a row keeps when the outbox stops trying it (fits the column)."""
    return f"Gave up after {tries} tries. Last error: {last_error}"[:2000]


def send_outbound_message(*, message_id: int) -> Message | None:
    """Deliver one queued message, at most once.

    In a short transaction (customer row, then message row, FOR NO KEY UPDATE; no HTTP inside) the
    rules are checked again — window, quota, bot pause, opt-out — and the row moves to `sending`
    with attempts + 1, committed before the HTTP call: a row found in `sending` (a worker died
    mid-call) is never sent again. Retryable failures put the row back to `queued` and raise
    `SendLater`; final failures mark it `failed` with TikTok's code. Returns the row, or None if gone.
    """
    now = timezone.now()
    with transaction.atomic():
        customer = (
            Customer.objects.select_for_update(no_key=True, of=("self",))
            .filter(messages__pk=message_id)
            .annotate(wrote_again=Exists(second_message_from_customer()))
            .first()
        )
        if customer is None:
            return None
        message = _next_to_send(customer=customer, message_id=message_id, now=now)
        if message.direction != Message.Direction.OUTBOUND or message.state != Message.State.QUEUED:
            if message.state == Message.State.SENDING:
                logger.warning("outbound message already in sending; not sent again", extra={"message_id": message.pk})
            return message
        parts = other_parts(message=message)
        if earlier_part_pending(message=message, now=now, parts=parts):
            # The photo queued before this text has not gone yet: once it is settled it sends this one.
            logger.info("outbound message waits for an earlier part", extra={"message_id": message.pk})
            return message
        reason = outbound_block_reason(
            message=message, customer=customer, now=now, written_more_than_once=customer.wrote_again
        )
        if reason:
            return _settle(message, state=Message.State.BLOCKED, error=reason)
        token = current_access_token()
        if not token:
            logger.info(
                "no TikTok access token: outbound message recorded as a dry run",
                extra={"message_id": message.pk, "customer": customer.pk, "text": message.text},
            )
            return _settle(message, state=Message.State.DRY_RUN, error="No TikTok access token: not sent.")
        if not settings.TIKTOK_BUSINESS_ID:
            return _settle(message, state=Message.State.FAILED, error="TIKTOK_BUSINESS_ID is not set.")
        message.state = Message.State.SENDING
        message.attempts += 1
        message.sending_started_at = now
        message.save(update_fields=["state", "attempts", "sending_started_at", "updated_at"])
    return _deliver(
        message=message,
        conversation_id=customer.conversation_id,
        access_token=token,
        later_parts=any(part.pk > message.pk for part in parts),
    )


def deliver_sending(*, message: Message, conversation_id: str, access_token: str) -> Message:
    """A message its job wrote straight into `sending` after the outbox's checks (`conversations.queueing`: the
    handling job's reply): the call and its outcome, as `send_outbound_message` makes them after its own look."""
    return _deliver(message=message, conversation_id=conversation_id, access_token=access_token, later_parts=False)


def _next_to_send(*, customer: Customer, message_id: int, now: datetime) -> Message:
    """The row a send job sends, locked: the customer's oldest message waiting in `queued` for its first try, or
    the job's own when that is older or a retry. Any job of a customer may send any of their messages (each job
    sends one, so all go), and so they go in the order they were queued whichever job runs first. The job's own
    row, as it is, when nothing is waiting (sent by another job already). Raises `CustomerBusy` while an earlier
    message to the customer is in the middle of its send: one send at a time per customer keeps their order."""
    rows = Message.objects.select_for_update(no_key=True, of=("self",)).select_related("in_reply_to")
    ahead = Q(customer=customer) & ahead_in_the_outbox(in_flight_since=now - stuck_sending_after())
    picked = rows.filter(ahead | Q(pk=message_id, state=Message.State.QUEUED)).order_by("pk").first()
    if picked is not None and picked.state == Message.State.SENDING:
        raise CustomerBusy(message_id=picked.pk)
    return picked if picked is not None else rows.get(pk=message_id)


def _deliver(*, message: Message, conversation_id: str, access_token: str, later_parts: bool = True) -> Message:
    refreshed = False
    while True:
        try:
            tiktok_message_id = _send(
                TikTokClient(access_token=access_token), message=message, conversation_id=conversation_id
            )
            break
        except PhotoMissing as error:
            return _settle(message, state=Message.State.FAILED, error=str(error), code="photo_missing")
        except TikTokTokenError as error:
            if refreshed or not can_refresh_access_token():
                return _settle(message, state=Message.State.FAILED, error=error.message, code=error.code)
            try:
                access_token = refresh_access_token(stale_access_token=access_token)
            except (TokenRefreshUnavailable, TikTokError) as refresh_error:
                return _settle(
                    message,
                    state=Message.State.FAILED,
                    error=f"{error.message} (token refresh failed: {refresh_error})",
                    code=error.code,
                )
            refreshed = True
        except TikTokUnconfirmed as error:
            _confirm_later(message, error)
        except TikTokRetryableError as error:
            return _send_later(message, error)
        except TikTokRejected as error:
            logger.error("outbound message rejected by TikTok", extra={"message_id": message.pk, "code": error.code})
            return _settle(message, state=Message.State.FAILED, error=error.message, code=error.code)
    return _record_delivery(message, tiktok_message_id=tiktok_message_id, later_parts=later_parts)


def _send(client: TikTokClient, *, message: Message, conversation_id: str) -> str:
    if message.content_type == "image" and message.image_name:
        return send_image(client=client, message=message, conversation_id=conversation_id)
    return client.send_text(business_id=settings.TIKTOK_BUSINESS_ID, conversation_id=conversation_id, text=message.text)


def _confirm_later(message: Message, error: TikTokUnconfirmed) -> NoReturn:
    """TikTok's answer was lost: the row stays in `sending` until its echo or a look-up says whether it went."""
    _settle(
        message,
        state=Message.State.SENDING,
        error=f"{error.message} TikTok may have taken it: waiting for its echo before looking it up.",
        code=UNCONFIRMED,
    )
    logger.warning(
        "outbound message answer timed out; to be confirmed before any retry",
        extra={"message_id": message.pk, "attempts": message.attempts},
    )
    raise ConfirmLater(message_id=message.pk) from error


def _send_later(message: Message, error: TikTokRetryableError) -> Message:
    """TikTok did not take it this time: queued to go again (raises `SendLater`), or failed after
    OUTBOX_MAX_ATTEMPTS tries."""
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        return _settle(
            message,
            state=Message.State.FAILED,
            error=_gave_up(message.attempts, error.message),
            code=error.code,
        )
    _settle(message, state=Message.State.QUEUED, error=error.message, code=error.code)
    logger.warning(
        "outbound message not taken by TikTok; will retry",
        extra={"message_id": message.pk, "code": error.code, "attempts": message.attempts},
    )
    raise SendLater(message_id=message.pk, error=error, delay_ms=retry_delay_ms(message.attempts)) from error


def _record_delivery(message: Message, *, tiktok_message_id: str | None, later_parts: bool) -> Message:
    now = timezone.now()
    try:
        return record_sent(message=message, tiktok_message_id=tiktok_message_id, sent_at=now, later_parts=later_parts)
    except DatabaseError:
        # TikTok has it, but the database went away before that was written down. The broker keeps what TikTok
        # answered, and a job writes it once the database is back: the row never waits in `sending` for the owner,
        # and is never sent again. (If the broker is down too, the row is flagged as stuck, as after a crash.)
        logger.warning(
            "outbound message sent, but not recorded: the database is unavailable; recording it later",
            extra={"message_id": message.pk, "tiktok_message_id": tiktok_message_id},
        )
        sent = (message.pk, tiktok_message_id or "", now.isoformat(), later_parts)
        jobs.enqueue("record_sent_later", *sent, unless_sent="the outbox sweep flags the row as stuck in sending")
        return message


def record_sent(
    *, message: Message, tiktok_message_id: str | None, sent_at: datetime, later_parts: bool = True
) -> Message:
    """TikTok took `message` (with this id): the row moves from `sending` to `sent` (conditional: TikTok's echo
    may have confirmed it first), and the answer's next part may go."""
    sent = _mark_sent(message.pk, tiktok_message_id=tiktok_message_id or None, at=sent_at)
    logger.info("outbound message sent", extra={"message_id": message.pk, "tiktok_message_id": tiktok_message_id})
    if sent:
        for field, value in sent.items():
            setattr(message, field, value)
    else:
        message.refresh_from_db()  # the echo settled it first
    if later_parts:
        _send_next_part(message)
    return message


def confirm_unconfirmed_send(*, message_id: int) -> Message | None:
    """A send whose answer timed out: if its echo has come, it is settled already; else TikTok's list of the
    conversation's messages is asked whether our text (or image) arrived after the send started — then it is
    sent — and only if it did not is the row queued to go again (with backoff; failed after
    OUTBOX_MAX_ATTEMPTS). No lock is held across the HTTP call: every write is conditional on the row still
    waiting, so an echo arriving meanwhile wins. TikTok errors propagate (the job retries the look-up)."""
    message = Message.objects.select_related("customer").filter(pk=message_id).first()
    if message is None or message.state != Message.State.SENDING or message.error_code != UNCONFIRMED:
        return message
    match = _in_the_conversation(message)
    waiting = Message.objects.filter(pk=message.pk, state=Message.State.SENDING, error_code=UNCONFIRMED)
    now = timezone.now()
    if match is not None:
        return _found_sent(message, waiting=waiting, tiktok_message_id=match.message_id, now=now)
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        with transaction.atomic():
            if waiting.update(
                state=Message.State.FAILED,
                error=_gave_up(message.attempts, message.error),
                updated_at=now,
            ):
                message.refresh_from_db()
                _notify_not_sent(message)
                _send_next_part(message)
        return message
    with transaction.atomic():
        if waiting.update(
            state=Message.State.QUEUED,
            error="TikTok's answer timed out and the message is not in the conversation: sending again.",
            updated_at=now,
        ):
            delay_ms = retry_delay_ms(message.attempts)
            send_on_commit(message_id=message.pk, customer_id=message.customer_id, delay_ms=delay_ms)
    logger.warning("unconfirmed send not in the conversation: queued again", extra={"message_id": message.pk})
    message.refresh_from_db()
    return message


def _in_the_conversation(message: Message) -> ConversationMessage | None:
    """Our text (or image) in TikTok's list of the conversation's messages, sent by the business since the send
    started and not known to us as another row; None when it is not there."""
    token = current_access_token()
    client = TikTokClient(access_token=token or "")
    listed = client.recent_messages(
        business_id=settings.TIKTOK_BUSINESS_ID, conversation_id=message.customer.conversation_id
    )
    started = message.sending_started_at or message.updated_at
    since_ms = int((started - timedelta(seconds=settings.OUTBOX_UNCONFIRMED_SLACK_SECONDS)).timestamp() * 1000)
    known = set(
        Message.objects.filter(tiktok_message_id__in=[item.message_id for item in listed]).values_list(
            "tiktok_message_id", flat=True
        )
    )
    is_image = message.content_type == "image" and bool(message.image_name)
    return next(
        (
            item
            for item in listed
            if item.from_business
            and item.timestamp_ms >= since_ms
            and item.message_id not in known
            and (not item.text if is_image else item.text == message.text)
        ),
        None,
    )


def _found_sent(message: Message, *, waiting: QuerySet[Message], tiktok_message_id: str, now: datetime) -> Message:
    updated = _mark_sent(waiting, tiktok_message_id=tiktok_message_id, at=now)
    logger.info("unconfirmed send found in the conversation: sent", extra={"message_id": message.pk})
    message.refresh_from_db()
    if updated:
        _send_next_part(message)
    return message


def _mark_sent(waiting: QuerySet[Message] | int, *, tiktok_message_id: str | None, at: datetime) -> dict[str, object]:
    """Mark the row still waiting in `waiting` sent, with TikTok's id; returns the columns written, or {} when
    no row was waiting any more (the echo settled it first). `waiting`: a queryset, or the id of a row in
    `sending` (every send's own write: `_update_sending_row`)."""
    sent: dict[str, object] = {
        "state": Message.State.SENT,
        "sent_at": at,
        "error": "",
        "error_code": "",
        "updated_at": at,
    }
    update = partial(_update_sending_row, waiting) if isinstance(waiting, int) else waiting.update
    try:
        # Outside a transaction one UPDATE is atomic on its own: the savepoint only where one is open.
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            updated = update(tiktok_message_id=tiktok_message_id, **sent)
        sent["tiktok_message_id"] = tiktok_message_id
    except IntegrityError:
        # The echo was matched to a twin row with the same text; this one went out all the same.
        updated = update(**sent)
    return sent if updated else {}


def _update_sending_row(message_id: int, **columns: object) -> int:
    """`Message.objects.filter(pk=message_id, state=SENDING).update(**columns)`, written once rather than built by
    the ORM on every send; returns how many rows (0 or 1)."""
    quote = connection.ops.quote_name
    where = f"{quote('id')} = %s AND {quote('state')} = %s"
    return update_rows(Message, columns, where=where, params=[message_id, Message.State.SENDING])


def _send_next_part(message: Message) -> None:
    """`message` is settled: the next part of the same answer (the text after a photo) may go now."""
    next_id = next_part_waiting(message=message)
    if next_id is not None:
        send_on_commit(message_id=next_id, customer_id=message.customer_id)


def _settle(message: Message, *, state: str, error: str = "", code: str = "") -> Message:
    """Record the outcome of this attempt (a separate short write; no row lock is held across HTTP). A failed or
    blocked message notifies the owner in the same transaction."""
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            state=state, error=error[:2000], error_code=code[:32], updated_at=timezone.now()
        )
        message.state, message.error, message.error_code = state, error[:2000], code[:32]
        if state in (Message.State.BLOCKED, Message.State.FAILED):
            _notify_not_sent(message)
    if state in (Message.State.BLOCKED, Message.State.FAILED):
        logger.info("outbound message not sent", extra={"message_id": message.pk, "state": state, "reason": error})
    if state not in (Message.State.QUEUED, Message.State.SENDING):
        _send_next_part(message)
    return message


def _notify_not_sent(message: Message) -> None:
    """Tell the owner a message did not go (once per message, whatever retries and sweeps do)."""
    notify_send_failed(
        message_id=message.pk,
        customer_id=message.customer_id,
        customer_name=str(message.customer),
        state=message.get_state_display().lower(),
        reason=message.error or message.error_code,
    )


def give_up_sending(*, message_id: int, retries: int) -> Message | None:
    """The send job ran out of retries: a row still waiting in `queued` is marked failed, keeping the last error."""
    with transaction.atomic():
        message = Message.objects.select_for_update(no_key=True).filter(pk=message_id).first()
        if message is None or message.state != Message.State.QUEUED:
            return message
        message.state = Message.State.FAILED
        message.error = _gave_up(retries + 1, message.error or "none recorded")
        message.save(update_fields=["state", "error", "updated_at"])
        _notify_not_sent(message)
        _send_next_part(message)
    logger.error("outbound message failed after retries", extra={"message_id": message_id, "retries": retries})
    return message
