from philia.errors import DomainError


class InvalidCustomerId(DomainError):
    """A TikTok user id that is empty or longer than the shop can store."""

    status_code = 400
