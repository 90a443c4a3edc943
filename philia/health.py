"""What `GET /health` reports: can the shop reach its database and its broker?"""

import logging

import dramatiq
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

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
    broker = dramatiq.get_broker()
    if not isinstance(broker, RedisBroker):
        # The in-memory broker of the embedded default lives in this process: it is up if we are.
        return True
    try:
        broker.client.ping()
    except Exception:
        logger.exception("health check: broker unreachable")
        return False
    return True


def shop_health() -> dict[str, str]:
    return {
        "database": "ok" if check_database() else "down",
        "broker": "ok" if check_broker() else "down",
    }
