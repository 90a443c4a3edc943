#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "philia.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A setting the shop cannot use (philia/settings.py says which and what it should be): one line, exit 1.
        sys.exit(f"ImproperlyConfigured: {error}")


if __name__ == "__main__":
    main()
