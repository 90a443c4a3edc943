"""The live stream's workers."""

import dramatiq

from live.announcements import announce_stream as announce


@dramatiq.actor(max_retries=5, min_backoff=2_000, max_backoff=60_000, time_limit=300_000)
def announce_stream(stream_id: int) -> None:
    """Tell the customers who asked to hear about lives that this stream is coming (once each, retried safely)."""
    announce(stream_id=stream_id)
