from datetime import datetime

from philia.errors import DomainError


class ItemNotFound(DomainError):
    status_code = 404

    def __init__(self, sku: str) -> None:
        super().__init__(f"No item with SKU {sku}.")
        self.sku = sku


class ItemUnavailable(DomainError):
    """The item cannot be held: someone else holds it, it is sold, or it is not on sale."""

    def __init__(self, sku: str, status: str, held_until: datetime | None = None) -> None:
        if status == "reserved" and held_until is not None:
            reason = f"{sku} is held by another customer until {held_until:%Y-%m-%d %H:%M %Z}."
        elif status == "sold":
            reason = f"{sku} is already sold."
        else:
            reason = f"{sku} is not for sale."
        super().__init__(reason)
        self.sku = sku
        self.status = status
        self.held_until = held_until


class InvalidHoldLength(DomainError):
    status_code = 400

    def __init__(self, hours: object, maximum: int) -> None:
        shown = f"{hours:g}" if isinstance(hours, int | float) and not isinstance(hours, bool) else hours
        super().__init__(f"A hold lasts more than 0 and at most {maximum} hours, not {shown}.")
        self.hours = hours
        self.maximum = maximum


class HoldLimitReached(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"You can hold at most {limit} items at a time; buy or release one first.")
        self.limit = limit


class NotHeldBy(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is not held by you.")
        self.sku = sku


class ItemNotHeld(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is not held.")
        self.sku = sku


class InvalidItemStatusChange(DomainError):
    """Staff asked for a status change the item's state does not allow (e.g. hiding a sold item)."""

    def __init__(self, sku: str, status: str, action: str) -> None:
        super().__init__(f"{sku} is {status}; it cannot be {action}.")
        self.sku = sku
        self.status = status
        self.action = action


class ItemNotDroppedYet(DomainError):
    """The item is in an upcoming drop: nobody can hold it before the drop time."""

    def __init__(self, sku: str, drops_at: datetime) -> None:
        super().__init__(f"{sku} drops at {drops_at:%Y-%m-%d %H:%M %Z}; it cannot be held before then.")
        self.sku = sku
        self.drops_at = drops_at


class DropBeingSettled(DomainError):
    """The drop has started and the item's claims are being collected: it goes to the earliest claim."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} has just dropped and goes to the earliest claim; it cannot be held directly.")
        self.sku = sku


class HoldAlreadyExtended(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"The hold on {sku} has already been extended once.")
        self.sku = sku


class InvalidDrop(DomainError):
    """A drop that cannot be scheduled as asked: no items, a time in the past, a blank name."""

    status_code = 400


class ItemNotDroppable(DomainError):
    """The item cannot go in a drop: it is held, sold, or already in another upcoming drop."""

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku} {reason}.")
        self.sku = sku
        self.reason = reason
