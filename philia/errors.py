"""The one base class for errors the shop's rules raise, and its presentation."""


class DomainError(Exception):
    """A rule of the shop said no. `str()` is a one-line reason fit for staff and customers."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
