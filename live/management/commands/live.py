"""`manage.py live schedule|start|next|end`: run a live stream from the command line, through the same services
as the admin."""

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from live import services
from philia.management.arguments import OneLineErrors, integer, text

STREAM_ID = integer(minimum=1, maximum=2**63 - 1)


class Command(OneLineErrors):
    help = (
        "Run a live stream: `schedule` lines pieces up (prints the new stream's id on its last line), `start` "
        "makes it live, `next` brings the next piece (or the SKU given) on screen and prints its SKU, `end` ends "
        "it. Exit 1 with a one-line reason on stderr for an unknown or ended stream, another stream live, an "
        "unknown SKU or nothing left to show; exit 2 for wrong use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", help="What to do.")
        schedule = actions.add_parser("schedule", help="Schedule a stream with pieces lined up in order.")
        schedule.add_argument("--title", required=True, type=text(max_length=200), help="The stream's title.")
        schedule.add_argument(
            "--at",
            type=text(max_length=64),
            metavar="ISO",
            help="When it starts, ISO 8601 with its time zone, e.g. 2026-12-24T19:00:00+00:00 (default: now).",
        )
        schedule.add_argument(
            "skus", nargs="+", type=text(max_length=64), metavar="SKU", help="The pieces' SKUs, in line-up order."
        )
        start = actions.add_parser("start", help="Make a scheduled stream live.")
        start.add_argument("stream_id", type=STREAM_ID, metavar="ID", help="The stream's id.")
        next_ = actions.add_parser("next", help="Bring the next lined-up piece (or SKU) on screen.")
        next_.add_argument("stream_id", type=STREAM_ID, metavar="ID", help="The stream's id.")
        next_.add_argument(
            "sku", nargs="?", type=text(max_length=64), metavar="SKU", help="This piece instead of the next lined up."
        )
        end = actions.add_parser("end", help="End the stream.")
        end.add_argument("stream_id", type=STREAM_ID, metavar="ID", help="The stream's id.")
        for sub in (schedule, start, next_, end):
            # The command's own one-line error (OneLineErrors sets it once this method has returned).
            sub.error = lambda message: parser.error(message)  # type: ignore[method-assign]

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "schedule":
            self._schedule(title=options["title"], at=options["at"], skus=options["skus"])
        elif action == "start":
            stream = services.start_stream(stream_id=options["stream_id"])
            self.stdout.write(f"Stream {stream.pk} is live: {stream.title}")
        elif action == "next":
            self._next(stream_id=options["stream_id"], sku=options["sku"])
        else:
            stream = services.end_stream(stream_id=options["stream_id"])
            self.stdout.write(f"Stream {stream.pk} has ended: {stream.title}")

    def _schedule(self, *, title: str, at: str | None, skus: list[str]) -> None:
        starts_at = None
        if at is not None:
            try:
                starts_at = datetime.fromisoformat(at)
            except ValueError as error:
                raise CommandError(f"--at {at!r} is not an ISO 8601 time, e.g. 2026-12-24T19:00:00+00:00.") from error
        stream = services.schedule_stream(title=title, skus=skus, at=starts_at)
        local = timezone.localtime(stream.scheduled_at)
        self.stdout.write(f"Scheduled {stream.title!r} for {local:%Y-%m-%d %H:%M %Z}:")
        for piece in stream.pieces.select_related("item").order_by("position"):
            self.stdout.write(f"  lot {piece.position}: {piece.item.sku} · {piece.item.name} · ${piece.item.price}")
        self.stdout.write(str(stream.pk))

    def _next(self, *, stream_id: int, sku: str | None) -> None:
        shown = services.next_piece(stream_id=stream_id, sku=sku)
        for piece in shown.skipped:
            self.stderr.write(f"Skipped lot {piece.position}, {piece.item.sku}: it {piece.skip_reason}.")
        self.stdout.write(shown.piece.item.sku)
