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
        super().__init__(f"A hold lasts between 1 and {maximum} hours, not {hours}.")
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
