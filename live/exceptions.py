"""What the live stream's rules say no with, each with the facts and a one-line reason."""

from philia.errors import DomainError


class StreamNotFound(DomainError):
    status_code = 404

    def __init__(self, stream_id: object) -> None:
        super().__init__(f"No stream with id {stream_id}.")
        self.stream_id = stream_id


class StreamEnded(DomainError):
    def __init__(self, stream_id: int) -> None:
        super().__init__(f"Stream {stream_id} has ended.")
        self.stream_id = stream_id


class StreamNotLive(DomainError):
    def __init__(self, stream_id: int) -> None:
        super().__init__(f"Stream {stream_id} is not live yet: start it first.")
        self.stream_id = stream_id


class AnotherStreamLive(DomainError):
    """Two streams live at once are refused (the database refuses it too)."""

    def __init__(self, live_id: int) -> None:
        super().__init__(f"Stream {live_id} is live: end it before starting another.")
        self.live_id = live_id


class InvalidStream(DomainError):
    """A stream that cannot be scheduled as asked: no title, no SKU, a time without its zone."""

    status_code = 400


class PieceNotInStream(DomainError):
    status_code = 404

    def __init__(self, stream_id: int, sku: str) -> None:
        super().__init__(f"{sku} is not lined up in stream {stream_id}.")
        self.stream_id = stream_id
        self.sku = sku


class PieceNotShowable(DomainError):
    """The piece asked for cannot go on screen: sold, held by someone, hidden, in an upcoming drop."""

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku} cannot go on screen: it {reason}.")
        self.sku = sku
        self.reason = reason


class NothingLeftToShow(DomainError):
    def __init__(self, stream_id: int, skipped: list[str]) -> None:
        said = f" (skipped: {'; '.join(skipped)})" if skipped else ""
        super().__init__(f"Stream {stream_id} has nothing left to show{said}: end it, or name a SKU.")
        self.stream_id = stream_id
        self.skipped = skipped
