"""Reading the settings from the environment (philia/settings.py): django-environ's reader, strict about numbers.

Every number the shop reads from the environment is a count, a size, a duration, a rate or a percent: one that is
not written as a plain number ("3s", "1e3", "soon"), or is below 0, stops start-up with one line naming the setting.
"""

import math
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

WHOLE = re.compile(r"\s*\+?[0-9]+\s*")
DECIMAL = re.compile(r"\s*\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*")


class Environment(environ.Env):
    NUMBER_KINDS = {int: ("a whole number", WHOLE), float: ("a number", DECIMAL)}

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False
    ) -> Any:
        listed = isinstance(cast, list)
        number = self.NUMBER_KINDS.get(cast[0] if listed and cast else cast)
        if number is None:
            try:
                return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
            except ValueError as error:
                raise ImproperlyConfigured(f"{var} cannot be read: {error}.") from None
        raw = self.ENVIRON.get(var)
        # django-environ would drop every character but digits, '.', ',' and '-' first ("3s" read as 3): not here.
        if raw is not None and not all(number[1].fullmatch(part) for part in (raw.split(",") if listed else [raw])):
            raise self._not_a_number(var, number[0], listed=listed)
        value = super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        numbers = value if listed else [value]
        if not all(isinstance(each, int | float) and math.isfinite(each) and each >= 0 for each in numbers):
            raise self._not_a_number(var, number[0], listed=listed)
        return value

    def _not_a_number(self, var: str, kind: str, *, listed: bool) -> ImproperlyConfigured:
        described = f"{kind} (or several, comma-separated)" if listed else kind
        return ImproperlyConfigured(f"{var} is {described}, at least 0, not {self.ENVIRON.get(var)!r}.")

    def hours(self, var: str, default: float) -> int | float:
        """A duration in hours that may have decimals (`HOLD_HOURS=0.5`); whole numbers stay ints, so "24 hours"
        reads as people write it."""
        value = float(self.float(var, default=default))
        return int(value) if value.is_integer() else value


def with_redis_timeouts(url: str, *, connect: float, answer: float) -> str:
    """Give every Redis client bounded waits unless the URL sets its own: an unreachable Redis must not hold
    a webhook request (the enqueue after commit) for the system's connect timeout of minutes."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_connect_timeout", f"{connect:g}")
    query.setdefault("socket_timeout", f"{answer:g}")
    return urlunsplit(parts._replace(query=urlencode(query)))


def use_embedded_servers_unless_named(env: Environment) -> None:
    """With DATABASE_URL or REDIS_URL unset (or empty), point it at the project's own server, started now if it is
    not running (philia/embedded); a server that cannot start stops the process with one line saying why."""
    if env.str("DATABASE_URL", default="") and env.str("REDIS_URL", default=""):
        return
    from philia import embedded

    try:
        embedded.configure_environment()
    except embedded.EmbeddedError as error:
        raise SystemExit(str(error)) from None


def postgresql_database(env: Environment) -> dict[str, Any]:
    """DATABASES["default"] from DATABASE_URL, which must name PostgreSQL: connections kept CONN_MAX_AGE seconds
    and checked before reuse once idle a few seconds (`philia.postgresql`); statements prepared once run five times
    on a connection (the shop runs the same ones all day: a hold, a DM's reads) unless DATABASE_PREPARED_STATEMENTS
    is false, as behind a pooler in transaction mode (PgBouncer), which cannot keep them."""
    database = env.db("DATABASE_URL")
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"DATABASE_URL must name a PostgreSQL database (postgres://...), not {database['ENGINE']}; "
            "unset it to use the embedded one."
        )
    # Django's backend, checking a kept connection before reuse only after it was idle a while (philia.postgresql).
    database["ENGINE"] = "philia.postgresql"
    database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    database.setdefault("CONN_HEALTH_CHECKS", True)
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    return database
