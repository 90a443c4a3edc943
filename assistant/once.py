"""Actions that change something run once per inbound message: the first run's result is stored in a
`ToolCall` row keyed by the message, the tool and its arguments, and a message handled again (a retried job,
a twin worker) replays that result instead of acting twice."""

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from django.db import IntegrityError, transaction

from assistant.models import ToolCall
from assistant.results import REPLAY, Facts, Refusal, Refused, Result, Success
from conversations.models import Customer, Message
from philia.errors import DomainError

Outcome = TypeVar("Outcome", bound=Success | Refusal)


class OncePerMessage:
    """Runs a customer's actions for one inbound message, each at most once (`_once`)."""

    def __init__(self, *, customer: Customer, message: Message, earlier: Sequence[Message] = ()) -> None:
        self.customer = customer
        self.message = message
        # Bubbles answered with this one ("hold the harley tee" / "and the grateful dead one"): an action one of them
        # ran when it was answered alone is replayed, not run again.
        self.earlier = [bubble for bubble in earlier if not bubble.recorded_now]
        self.actions: list[Result] = []  # what the actions of this turn answered, in order
        self._results: dict[str, Result] = {}  # the actions run in this turn, by idempotency key

    def _once(self, tool: str, arguments: Facts, action: Callable[[], Outcome]) -> Outcome | Refused:
        """Run `action` once for this inbound message: the first run's result is stored with it (its wire
        form) and replayed afterwards as the same typed result. The action and its record commit together."""
        canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        key = _key(self.message, tool, canonical)
        result: Outcome | Refused
        if key in self._results:  # asked again in this turn: the same result
            # The key names the tool, so this is what the same action returned (or its refusal).
            result = cast("Outcome | Refused", self._results[key])
        else:
            # A message recorded by this very job has no earlier run to replay.
            keys = [_key(bubble, tool, canonical) for bubble in self.earlier]
            if not self.message.recorded_now:
                keys.append(key)
            stored = ToolCall.objects.filter(idempotency_key__in=keys).first() if keys else None
            result = (
                REPLAY[tool].validate_python(stored.result)
                if stored is not None
                else self._run(key, tool, arguments, action)
            )
        self._results[key] = result
        self.actions.append(result)
        return result

    def _run(self, key: str, tool: str, arguments: Facts, action: Callable[[], Outcome]) -> Outcome | Refused:
        """`action` and its ToolCall row, committed together; a refusal is a result too."""
        result: Outcome | Refused
        try:
            with transaction.atomic():
                try:
                    result = action()
                except DomainError as error:
                    result = Refused(message=str(error))
                ToolCall.objects.create(
                    idempotency_key=key,
                    message=self.message,
                    customer=self.customer,
                    tool=tool,
                    arguments=arguments,
                    succeeded=result.ok,
                    result=result.wire(),
                )
        except IntegrityError:
            # The same message is being handled by another worker: its run counts, this one is undone.
            stored = ToolCall.objects.filter(idempotency_key=key).first()
            if stored is None:
                raise
            result = REPLAY[tool].validate_python(stored.result)
        return result


def _key(message: Message, tool: str, canonical: str) -> str:
    return hashlib.sha256(f"{message.pk}:{tool}:{canonical}".encode()).hexdigest()
