"""Writes: what customers did with pieces (`record_interaction`), what the shop proposed (`record_propositions`) and
the sizes a customer wears (`set_sizes`). Idempotent per message: a message answered again records nothing twice."""

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Item
from inventory.vocabulary import SIZE_LABEL_ALIASES
from philia.errors import DomainError
from propositions.models import (
    CustomerSizes,
    Interaction,
    InteractionKind,
    Proposition,
    PropositionOutcome,
    PropositionReason,
)
from propositions.scoring import Scored

# What a later interaction with a proposed piece makes of the proposition, within OUTCOME_DAYS; outcomes only move on.
OUTCOME_DAYS = 7
OUTCOME_OF = {
    InteractionKind.ASKED_ABOUT: PropositionOutcome.ASKED,
    InteractionKind.DETAILS: PropositionOutcome.ASKED,
    InteractionKind.PHOTOS: PropositionOutcome.ASKED,
    InteractionKind.OFFER: PropositionOutcome.ASKED,
    InteractionKind.HELD: PropositionOutcome.HELD,
    InteractionKind.BOUGHT: PropositionOutcome.BOUGHT,
}
_ORDER = [PropositionOutcome.SHOWN, PropositionOutcome.ASKED, PropositionOutcome.HELD, PropositionOutcome.BOUGHT]
_BEFORE = {outcome: [earlier.value for earlier in _ORDER[: _ORDER.index(outcome)]] for outcome in _ORDER}
MAX_SIZE_LABELS = 6
# Pieces proposed (and asks) written per statement: 5 parameters each, well under PostgreSQL's 65,535.
ROWS_PER_STATEMENT = 2000
MAX_MEASUREMENT_INCHES = 80
_SIZE_LABEL = re.compile(r"^[A-Z0-9]{1,4}$")


class InvalidSizes(DomainError):
    """Sizes that do not read as sizes: the message says what was wrong, the rows stay as they were."""


def record_interaction(
    *, customer: Customer, kind: InteractionKind, items: Iterable[Item | int], message: Message | None = None
) -> None:
    """Append what `customer` did with these pieces (items or their ids), and move on the outcome of what was proposed
    to them: one statement, nothing read first (`_append`)."""
    ids = [item if isinstance(item, int) else item.pk for item in items]
    if ids:
        _append(customer=customer, kind=kind, message=message, pieces="unnest(%(pieces)s::bigint[])", values=ids)


@dataclass(frozen=True)
class Proposal:
    """The pieces proposed to one customer in reply to one of their messages (`record_propositions_to_many`);
    `asked_for_gone`: they asked for the piece proposed for, one they cannot have, recorded in the same statement."""

    customer_id: str
    message_id: int | None
    proposed: Sequence[Scored]
    asked_for_gone: bool = False


def record_propositions(
    *,
    customer: Customer,
    reason: PropositionReason,
    proposed: Sequence[Scored],
    instead_of: Item | None = None,
    message: Message | None = None,
    asked_for_gone: bool = False,
) -> None:
    """Store the pieces proposed to `customer` (outcome "shown") and their `proposition_shown` interactions: one
    statement (a piece already proposed in this message is left as it was). `asked_for_gone`: the same statement
    records first that they asked for `instead_of`, a piece they cannot have (`asked_for_gone`), so a reply that
    proposes commits once."""
    message_id = message.pk if message is not None else None
    proposal = Proposal(
        customer_id=customer.pk, message_id=message_id, proposed=proposed, asked_for_gone=asked_for_gone
    )
    record_propositions_to_many(reason=reason, instead_of=instead_of, proposals=[proposal])


def record_propositions_to_many(
    *, reason: PropositionReason, proposals: Sequence[Proposal], instead_of: Item | None = None
) -> None:
    """`record_propositions` for many customers at once (a drop's losers): one statement for all of them (one per
    `ROWS_PER_STATEMENT` pieces for thousands: PostgreSQL takes at most 65,535 parameters)."""
    if any(proposal.asked_for_gone for proposal in proposals) and instead_of is None:
        raise ValueError("asked_for_gone needs the piece asked for (instead_of)")
    batch: list[Proposal] = []
    rows = 0
    for proposal in proposals:
        if batch and rows + len(proposal.proposed) + 1 > ROWS_PER_STATEMENT:
            _record(reason=reason, proposals=batch, instead_of=instead_of)
            batch, rows = [], 0
        batch.append(proposal)
        rows += len(proposal.proposed) + 1  # its pieces and its ask
    _record(reason=reason, proposals=batch, instead_of=instead_of)


def _record(*, reason: PropositionReason, proposals: Sequence[Proposal], instead_of: Item | None) -> None:
    rows = [(proposal, found) for proposal in proposals for found in proposal.proposed]
    asking = [proposal for proposal in proposals if proposal.asked_for_gone]
    if not rows and not asking:
        return
    instead_of_id, now = (instead_of.pk if instead_of is not None else None), timezone.now()
    params: list[Any] = []
    if rows:
        params += [instead_of_id, PropositionReason(reason).value, PropositionOutcome.SHOWN.value, now]
        for proposal, found in rows:
            params += [proposal.customer_id, proposal.message_id, found.item.pk, found.confidence]
            params.append(json.dumps(found.features))
    params.append(now)
    if asking:
        params += [instead_of_id, InteractionKind.ASKED_FOR_GONE.value]
        for proposal in asking:
            params += [proposal.customer_id, proposal.message_id]
    if rows:
        params.append(InteractionKind.PROPOSITION_SHOWN.value)
    with connection.cursor() as cursor:
        cursor.execute(_recording_sql(len(rows), len(asking)), params)


@lru_cache(maxsize=64)
def _recording_sql(proposed: int, asking: int) -> str:
    """`record_propositions_to_many`'s statement for `proposed` pieces and `asking` asks, its values as rows of
    plain parameters (a list of each column would be dumped as an array, much slower in Python): the propositions
    inserted as a data-modifying CTE, the interactions — the asks first (a UNION ALL runs its parts in order), then
    what was shown in their place — by the statement itself."""
    propositions, interactions = Proposition._meta.db_table, Interaction._meta.db_table
    inserted, recorded = "", []
    if proposed:
        pieces = ", ".join(["(%s, %s::bigint, %s::bigint, %s::float8, %s::jsonb)"] * proposed)
        inserted = (
            f"WITH proposed AS (INSERT INTO {propositions} "  # noqa: S608
            "(customer_id, item_id, instead_of_id, reason, confidence, features, outcome, message_id, created_at) "
            "SELECT piece.customer, piece.id, %s::bigint, %s, piece.confidence, piece.features, %s, piece.message, %s "
            f"FROM (VALUES {pieces}) AS piece(customer, message, id, confidence, features) "
            "ON CONFLICT DO NOTHING RETURNING customer_id, item_id, message_id) "
        )
    if asking:
        asks = ", ".join(["(%s, %s::bigint)"] * asking)
        recorded.append(
            f"SELECT asked.customer, %s::bigint, %s::text, asked.message FROM (VALUES {asks}) AS asked(customer, message)"
        )
    if proposed:
        recorded.append("SELECT customer_id, item_id, %s::text, message_id FROM proposed")
    return (
        f"{inserted}INSERT INTO {interactions} (customer_id, item_id, kind, message_id, created_at) "  # noqa: S608
        f"SELECT piece.customer, piece.id, piece.kind, piece.message, %s "
        f"FROM ({' UNION ALL '.join(recorded)}) AS piece(customer, id, kind, message) ON CONFLICT DO NOTHING"
    )


def set_sizes(
    *,
    customer: Customer,
    labels: Sequence[str] = (),
    waist: int | None = None,
    measurements: Mapping[str, Any] | None = None,
) -> CustomerSizes:
    """Replace the sizes `customer` is known to wear, as `clean_sizes` reads them; raises InvalidSizes, changing
    nothing, when they do not read as sizes."""
    clean_labels, clean_waist, clean_measurements = clean_sizes(labels=labels, waist=waist, measurements=measurements)
    sizes, _ = CustomerSizes.objects.update_or_create(
        customer=customer,
        defaults={"labels": clean_labels, "waist": clean_waist, "measurements": clean_measurements},
    )
    return sizes


def learn_sizes(
    *,
    customer: Customer,
    labels: Sequence[str] = (),
    waist: int | None = None,
    measurements: Mapping[str, Any] | None = None,
) -> CustomerSizes | None:
    """Add what the customer said or bought to the sizes known: new labels first (at most `MAX_SIZE_LABELS`, the
    oldest dropped), a waist or a measurement replacing the one known. Locks the customer's sizes row; what does not
    read as a size is left out (None when nothing is left)."""
    try:
        clean_labels, clean_waist, clean_measurements = clean_sizes(
            labels=labels[:MAX_SIZE_LABELS], waist=waist, measurements=measurements
        )
    except InvalidSizes:
        return None
    if not (clean_labels or clean_waist or clean_measurements):
        return None
    with transaction.atomic():
        sizes, _ = CustomerSizes.objects.select_for_update().get_or_create(customer=customer)
        sizes.labels = list(dict.fromkeys([*clean_labels, *sizes.labels]))[:MAX_SIZE_LABELS]
        sizes.waist = clean_waist or sizes.waist
        sizes.measurements = {**sizes.measurements, **clean_measurements}
        sizes.save(update_fields=["labels", "waist", "measurements", "updated_at"])
    return sizes


def ask_about_arrivals_once(*, customer: Customer, now: datetime | None = None) -> bool:
    """Whether to ask the customer now if they want to hear of new pieces in their size: once ever, after the shop
    learned a size of theirs, and only while they have not given (or withdrawn) their marketing consent nor sent STOP.
    Marks it asked in the same statement, so two answers at once ask once."""
    if customer.marketing_consent or customer.marketing_consent_at is not None or customer.opted_out_at is not None:
        return False
    asked = CustomerSizes.objects.filter(customer=customer, arrivals_asked_at__isnull=True).update(
        arrivals_asked_at=now or timezone.now()
    )
    return bool(asked)


def clean_sizes(
    *, labels: Sequence[str] = (), waist: int | None = None, measurements: Mapping[str, Any] | None = None
) -> tuple[list[str], int | None, dict[str, float]]:
    """Sizes in the shop's spelling: labels ("large" → "L"; S to XXL, "2XL", "10"), a waist of 20 to 60 inches, named
    measurements of 0 to 80 inches. Raises InvalidSizes saying what is not a size."""
    clean_labels = [_size_label(label) for label in labels]
    if len(clean_labels) > MAX_SIZE_LABELS:
        raise InvalidSizes(f"At most {MAX_SIZE_LABELS} sizes.")
    if waist is not None and not (isinstance(waist, int) and not isinstance(waist, bool) and 20 <= waist <= 60):
        raise InvalidSizes("A waist is a whole number of inches from 20 to 60.")
    if measurements is not None and not isinstance(measurements, Mapping):
        raise InvalidSizes('Measurements are names and inches, e.g. {"pit_to_pit": 22}.')
    clean_measurements = {name: _inches(name, value) for name, value in (measurements or {}).items()}
    return list(dict.fromkeys(clean_labels)), waist, clean_measurements


def _size_label(label: str) -> str:
    text = str(label).strip().upper()[:40]
    canonical = next((size for size, aliases in SIZE_LABEL_ALIASES.items() if text in aliases), text)
    if not _SIZE_LABEL.match(canonical):
        raise InvalidSizes(f"{text[:20]!r} is not a size.")
    return canonical


def _inches(name: str, value: Any) -> float:
    if not re.fullmatch(r"[a-z_]{1,20}", str(name)):
        raise InvalidSizes(f"{str(name)[:20]!r} is not a measurement.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidSizes(f"{name} must be a number of inches.")
    if not 0 < value <= MAX_MEASUREMENT_INCHES:
        raise InvalidSizes(f"{name} must be between 0 and {MAX_MEASUREMENT_INCHES} inches.")
    return float(value)


def record_interaction_by_sku(
    *, customer: Customer, kind: InteractionKind, skus: Sequence[str], message: Message | None = None
) -> None:
    """`record_interaction` for pieces known by their SKU (any case; unknown ones are left out)."""
    if skus:
        pieces = f"(SELECT id FROM {Item._meta.db_table} WHERE upper(sku) = ANY(%(pieces)s))"
        _append(customer=customer, kind=kind, message=message, pieces=pieces, values=[sku.upper() for sku in skus])


def record_lost_claims(*, item: Item, claims: Sequence[tuple[str, int | None]]) -> None:
    """Each (customer id, claiming message id) that lost `item` in a drop or live: one INSERT for all of them (a row
    already recorded for the same message is left as it is)."""
    if not claims:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Interaction._meta.db_table} (customer_id, item_id, kind, message_id, created_at) "  # noqa: S608
            "SELECT claim.customer, %(item)s, %(kind)s, claim.message, %(now)s "
            "FROM unnest(%(customers)s::text[], %(messages)s::bigint[]) AS claim(customer, message) "
            "ON CONFLICT DO NOTHING",
            {
                "item": item.pk,
                "kind": InteractionKind.LOST_CLAIM.value,
                "now": timezone.now(),
                "customers": [customer for customer, _ in claims],
                "messages": [message for _, message in claims],
            },
        )


def _append(
    *, customer: Customer, kind: InteractionKind, message: Message | None, pieces: str, values: list[Any]
) -> None:
    """INSERT the interactions (a row already recorded for the same message, piece and kind is left as it is) and, in
    the same statement, move the propositions of these pieces to this customer made within `OUTCOME_DAYS` on to the
    outcome the kind means (`OUTCOME_OF`), never back."""
    outcome = OUTCOME_OF.get(kind)
    insert = (
        f"INSERT INTO {Interaction._meta.db_table} (customer_id, item_id, kind, message_id, created_at) "  # noqa: S608
        f"SELECT %(customer)s, piece.id, %(kind)s, %(message)s, %(now)s FROM {pieces} AS piece(id) "
        "ON CONFLICT DO NOTHING"
    )
    now = timezone.now()
    parameters: dict[str, Any] = {
        "customer": customer.pk,
        "kind": kind.value,
        "message": message.pk if message else None,
        "now": now,
        "pieces": values,
    }
    if outcome is not None:
        insert = (
            f"WITH recorded AS ({insert} RETURNING item_id) "
            f"UPDATE {Proposition._meta.db_table} SET outcome = %(outcome)s "  # noqa: S608
            "WHERE customer_id = %(customer)s AND item_id IN (SELECT item_id FROM recorded) "
            "AND outcome = ANY(%(before)s) AND created_at >= %(since)s"
        )
        parameters.update(outcome=outcome.value, before=_BEFORE[outcome], since=now - timedelta(days=OUTCOME_DAYS))
    with connection.cursor() as cursor:
        cursor.execute(insert, parameters)


def mark_ignored(*, now: datetime | None = None) -> int:
    """Propositions still only shown `OUTCOME_DAYS` after they were made become ignored; how many. Idempotent."""
    since = (now or timezone.now()) - timedelta(days=OUTCOME_DAYS)
    return Proposition.objects.filter(outcome=PropositionOutcome.SHOWN, created_at__lt=since).update(
        outcome=PropositionOutcome.IGNORED
    )
