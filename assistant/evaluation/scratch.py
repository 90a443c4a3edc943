"""A database of the evaluation's own on the configured server, so `manage.py assistant_eval` never touches the
shop's data: created and migrated as Django's test runner does it, under a name no other run uses, and dropped
when the block ends (also when it fails)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def scratch_database() -> Iterator[str]:
    """For the length of the block the default connection points at a new, migrated, empty database (its name is
    yielded); then that database is dropped and the connection points at the shop's again."""
    connection = connections[DEFAULT_DB_ALIAS]
    shop_database = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    saved = dict(test_settings)
    # The process id keeps two evaluations (and the test suite's own test database) apart.
    test_settings["NAME"] = f"{shop_database}_assistant_eval_{os.getpid()}"
    try:
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield name
        finally:
            connection.creation.destroy_test_db(shop_database, verbosity=0)
    finally:
        test_settings.clear()
        test_settings.update(saved)
