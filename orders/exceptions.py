from philia.errors import DomainError


class NothingToOrder(DomainError):
    def __init__(self) -> None:
        super().__init__("You have no items on hold to order. Hold an item first.")


class HoldLost(DomainError):
    """An item changed hands between reading the customer's holds and locking them."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is no longer held by you; nothing was ordered.")
        self.sku = sku


class InvalidOrderTransition(DomainError):
    def __init__(self, order_id: int, status: str, action: str) -> None:
        super().__init__(f"Order #{order_id} is {status}; it cannot be {action}.")
        self.order_id = order_id
        self.status = status
        self.action = action


class OrderNotFound(DomainError):
    status_code = 404

    def __init__(self, order_id: int) -> None:
        super().__init__(f"No order #{order_id}.")
        self.order_id = order_id


class TrackingNumberMissing(DomainError):
    status_code = 400

    def __init__(self, order_id: int) -> None:
        super().__init__(f"Order #{order_id} needs a tracking number to be marked shipped.")
        self.order_id = order_id


class PaymentAmountMismatch(DomainError):
    status_code = 400

    def __init__(self, order_id: int, total: object, amount: object) -> None:
        super().__init__(f"Order #{order_id} totals ${total}, not ${amount}; it was not marked paid.")
        self.order_id = order_id


class NoUnpaidOrder(DomainError):
    status_code = 404

    def __init__(self, order_id: int | None = None) -> None:
        what = f"Order #{order_id} is not waiting for payment" if order_id else "You have no order waiting for payment"
        super().__init__(f"{what}, so there is nothing to cancel.")
        self.order_id = order_id


class UnknownCarrier(DomainError):
    status_code = 400

    def __init__(self, carrier: str) -> None:
        super().__init__(f"{carrier!r} is not a carrier the shop knows; choose one from the list or Other.")
        self.carrier = carrier
