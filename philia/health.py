"""What `GET /health` reports: can the shop reach its database and its broker, and are the sweeps running?"""

import logging

from django.db import connection

from philia.jobs import redis_broker
from philia.sweeps import late_sweeps

logger = logging.getLogger(__name__)


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unreachable")
        return False
    return True


def check_broker() -> bool:
    try:
        redis_broker().client.ping()
    except Exception:
        logger.exception("health check: broker unreachable")
        return False
    return True


def check_sweeps() -> tuple[str, str]:
    """("ok", "") or ("late", which sweeps and for how long), or ("unknown", why) when Redis does not answer."""
    try:
        late = late_sweeps()
    except Exception:
        logger.warning("health check: sweep heartbeats unreadable", exc_info=True)
        return "unknown", "sweep heartbeats unreadable (Redis)"
    if late:
        return "late", "; ".join(f"{name} has not run for {seconds} s" for name, seconds in sorted(late.items()))
    return "ok", ""


def shop_health() -> dict[str, str]:
    """Each part's state ("ok" when well; "down", "late" or "unknown" otherwise) and, when something is wrong,
    a `detail` in words."""
    database = "ok" if check_database() else "down"
    broker = "ok" if check_broker() else "down"
    sweeps, sweeps_detail = check_sweeps()
    checks = {"database": database, "broker": broker, "sweeps": sweeps}
    problems = [
        f"the {name} is down" for name, state in (("database", database), ("broker", broker)) if state == "down"
    ]
    if sweeps == "late":
        problems.append(f"the sweeps are late ({sweeps_detail}): is `manage.py crontab` running, and a worker?")
    if problems:
        checks["detail"] = "; ".join(problems)
    return checks
