"""`python -m philia.embedded start|stop|status`: the embedded PostgreSQL and Redis by hand (`make stop`)."""

import argparse
import sys

import environ

from philia.embedded import PROJECT_DIR, EmbeddedError, data_dir, status, stop, use


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m philia.embedded",
        description="The project's own PostgreSQL and Redis, used when DATABASE_URL / REDIS_URL are unset. "
        "Commands start them when they need them; this starts, stops or shows them by hand.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="start both (if not running) and print their URLs")
    stopping = commands.add_parser("stop", help="stop both, unless a command (make run, a test run) is using them")
    stopping.add_argument("--force", action="store_true", help="stop them even while commands are using them")
    commands.add_parser("status", help="say whether each is running, and where")
    arguments = parser.parse_args(argv)
    # As the settings do: EMBEDDED_DATA_DIR and the ports may be set in the project's .env.
    environ.Env.read_env(PROJECT_DIR / ".env", overwrite=False)
    try:
        if arguments.command == "start":
            servers = use()
            print(f"DATABASE_URL={servers.database_url()}\nREDIS_URL={servers.redis_url()}")
        elif arguments.command == "stop":
            if not stop(force=arguments.force):
                print(
                    "The embedded servers are in use by another command (make run, a test run, a manage.py "
                    "command): stop it first, or use `make stop FORCE=1`.",
                    file=sys.stderr,
                )
                return 1
            print(f"Stopped the embedded PostgreSQL and Redis ({data_dir()}).")
        else:
            for name, port in status().items():
                print(f"{name}: " + (f"running on 127.0.0.1:{port}" if port else "stopped"))
    except EmbeddedError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
