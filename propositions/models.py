"""What customers did with pieces (`Interaction`, append-only) and what the shop proposed to them (`Proposition`),
with each customer's known sizes (`CustomerSizes`). Read by the scorer (`propositions.scoring`) and, later, by the
evaluation and the re-fit of its weights (issue 21)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Item


class InteractionKind(models.TextChoices):
    ASKED_ABOUT = "asked_about", "Asked about"
    DETAILS = "details", "Asked for details"
    PHOTOS = "photos", "Asked for photos"
    HELD = "held", "Held"
    BOUGHT = "bought", "Bought"
    OFFER = "offer", "Made an offer"
    LOST_CLAIM = "lost_claim", "Lost a drop or live claim"
    ASKED_FOR_GONE = "asked_for_gone", "Asked for a gone piece"
    PROPOSITION_SHOWN = "proposition_shown", "Proposition shown"


class PropositionReason(models.TextChoices):
    HELD = "held", "Held by someone else"
    SOLD = "sold", "Sold"
    HIDDEN = "hidden", "Not on sale"
    LOST_CLAIM = "lost_claim", "Lost a drop or live claim"
    NOTHING_FOUND = "nothing_found", "A search found nothing"
    LIKE = "like", "Asked for pieces like one on sale"
    NEW_ARRIVAL = "new_arrival", "New in their size"


class PropositionOutcome(models.TextChoices):
    SHOWN = "shown", "Shown"
    ASKED = "asked", "Asked about"
    HELD = "held", "Held"
    BOUGHT = "bought", "Bought"
    IGNORED = "ignored", "Ignored"


class Interaction(models.Model):
    """One thing a customer did with one piece, written where it happened (`propositions.services`); never changed.

    Unique per (message, item, kind): a message answered again (a retried job, the AI falling back to the offline
    assistant) records nothing twice."""

    Kind = InteractionKind

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    message = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        help_text="The customer's message it happened in (none for the owner's actions).",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "item", "created_at"], name="interaction_customer_item")]
        constraints = [
            models.UniqueConstraint(fields=["message", "item", "kind"], name="interaction_once_per_message"),
            models.CheckConstraint(name="interaction_kind_valid", condition=Q(kind__in=InteractionKind.values)),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.item_id}"


class Proposition(models.Model):
    """A piece the shop proposed to a customer in place of one they could not have, with the scorer's confidence
    and each feature's contribution to it. Its outcome follows the customer's later interactions with the piece:
    shown → asked → held → bought, or ignored when nothing followed within 7 days."""

    Reason = PropositionReason
    Outcome = PropositionOutcome

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="propositions")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="propositions")
    instead_of = models.ForeignKey(
        Item,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by_propositions",
        help_text="The piece the customer asked for (none when a search found nothing).",
    )
    reason = models.CharField(max_length=20, choices=PropositionReason.choices)
    confidence = models.FloatField(help_text="The scorer's score, 0 to 1.")
    features = models.JSONField(default=dict, blank=True, help_text="Each feature's contribution to the confidence.")
    outcome = models.CharField(
        max_length=10, choices=PropositionOutcome.choices, default=PropositionOutcome.SHOWN, db_index=True
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="propositions")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "item", "created_at"], name="proposition_customer_item")]
        constraints = [
            models.UniqueConstraint(fields=["message", "item"], name="proposition_once_per_message"),
            models.CheckConstraint(
                name="proposition_confidence_0_to_1", condition=Q(confidence__gte=0) & Q(confidence__lte=1)
            ),
            models.CheckConstraint(name="proposition_reason_valid", condition=Q(reason__in=PropositionReason.values)),
            models.CheckConstraint(
                name="proposition_outcome_valid", condition=Q(outcome__in=PropositionOutcome.values)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} for {self.customer_id} ({self.reason}, {self.outcome})"


class CustomerSizes(models.Model):
    """The sizes a customer is known to wear: size labels ("M", "L"), a waist in inches and body or garment
    measurements in inches ({"pit_to_pit": 22}). Set through `propositions.services.set_sizes`, which keeps only
    what reads as a size, or learned from what customers say and buy (`learn_sizes`)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="sizes")
    labels = models.JSONField(default=list, blank=True, help_text='Size labels, e.g. ["M", "L"].')
    waist = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Inches.")
    measurements = models.JSONField(default=dict, blank=True, help_text='Inches, e.g. {"pit_to_pit": 22}.')
    arrivals_asked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the shop asked once whether they want to hear of new pieces in their size.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "customer sizes"

    def __str__(self) -> str:
        return f"sizes of {self.customer_id}"


class ArrivalsNotice(models.Model):
    """One "new in your size" message to a customer: at most one a day (the constraint), so a second run of the
    hourly job the same day sends nothing more."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="arrivals_notices")
    day = models.DateField()
    skus = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="arrivals_notice_once_a_day")]

    def __str__(self) -> str:
        return f"new arrivals for {self.customer_id} on {self.day}"


class PerformanceKind(models.TextChoices):
    WEEK = "week", "A week's figures for one reason"
    REFIT = "refit", "A re-fit of the scorer's weights"


class ModelPerformance(models.Model):
    """How the propositions do, one model for two kinds of row (`kind`), so the owner reads them in one list:

    - `week`: a week's propositions of one `reason` (the week starting on Monday `week`) and how far they went —
      `shown`, `asked`, `held`, `bought` (each counts those that went at least that far) and `rate` (bought per
      shown). One row per (week, reason), brought up to date by the nightly re-fit job.
    - `refit`: one attempt of the nightly re-fit (`propositions.refit`): the `weights` tried and the
      `current_weights`, the precision@3 of each on the held-out weeks, whether the tried ones were `adopted`, the
      `sample_size` (propositions trained on), `positives` (of those, held or bought), `held_out` (asks replayed) and
      a `note` saying why when nothing was tried. The newest adopted row's `weights` are the scorer's weights."""

    Kind = PerformanceKind

    kind = models.CharField(max_length=10, choices=PerformanceKind.choices)
    week = models.DateField(help_text="The Monday the week starts on (for a re-fit: the week it ran in).")
    reason = models.CharField(max_length=20, blank=True, help_text="A week's row: the propositions' reason.")
    shown = models.PositiveIntegerField(default=0)
    asked = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    bought = models.PositiveIntegerField(default=0)
    rate = models.FloatField(default=0.0, help_text="Bought per shown.")
    weights = models.JSONField(default=dict, blank=True, help_text="A re-fit: the weights tried.")
    current_weights = models.JSONField(default=dict, blank=True, help_text="A re-fit: the weights in use before it.")
    precision = models.FloatField(null=True, blank=True, help_text="precision@3 of the weights tried, held out.")
    current_precision = models.FloatField(null=True, blank=True, help_text="precision@3 of the current weights.")
    adopted = models.BooleanField(default=False)
    sample_size = models.PositiveIntegerField(default=0, help_text="Propositions trained on.")
    positives = models.PositiveIntegerField(default=0, help_text="Of those, held or bought.")
    held_out = models.PositiveIntegerField(default=0, help_text="Asks for a gone piece replayed on the last 2 weeks.")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "model performance"
        indexes = [models.Index(fields=["kind", "adopted", "created_at"], name="performance_adopted")]
        constraints = [
            models.UniqueConstraint(
                fields=["week", "reason"], condition=Q(kind="week"), name="performance_one_row_per_week_and_reason"
            ),
            models.CheckConstraint(name="performance_kind_valid", condition=Q(kind__in=PerformanceKind.values)),
        ]

    def __str__(self) -> str:
        if self.kind == PerformanceKind.WEEK:
            return f"week of {self.week}, {self.reason}"
        return f"re-fit at {self.created_at:%Y-%m-%d %H:%M} ({'adopted' if self.adopted else 'kept'})"
