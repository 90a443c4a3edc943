"""Bursts from single customers, against the shop only (bench/pipeline.py runs them after its sustained burst):

- flood: one customer posts --flood DMs as fast as 8 clients can while --flood-others other customers post one
  each, spread over the flood's first seconds: the others' time to a reply (goal: p99 at most 2 s) and how many
  replies the flooding customer gets;
- bubbles: --bubble-customers customers, a second apart, each post BUBBLES within a second: how many replies each
  gets.

The shop answers a customer's bubbles that waited together as one turn, its reply in reply to the latest of them
(`conversations.intake`): a DM counts as answered when a reply was sent in reply to it or to a later message of
the same customer, at the moment that reply reached the fake TikTok API. A "reply" is one answered turn (its
photos and text, several sends, count once).
"""

import argparse
import http.client
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.assistant import CONVERSATION
from bench.common import percentile, post_delivery, run_threads, signed_dm
from bench.pipeline_phases import PATHS, Pipelines

GOAL_FLOOD_P99_MS = 2000.0
FLOOD_CLIENTS = 8
OTHERS_EVERY_SECONDS = 0.25  # the other customers' DMs during the flood, one every this often
BUBBLES = ("hi", "got any nike jackets?", "in L")
BUBBLE_GAP_SECONDS = 0.4  # between one customer's bubbles: three within a second
CUSTOMER_GAP_SECONDS = 1.0  # between one bubbling customer's first bubble and the next one's


def add_case_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flood", type=int, default=300, help="DMs of the flooding customer (0: no flood case)")
    parser.add_argument("--flood-others", type=int, default=8, help="customers writing once during the flood")
    parser.add_argument(
        "--bubble-customers", type=int, default=10, help="customers sending 3 bubbles each (0: no bubbles case)"
    )


@dataclass(frozen=True)
class Planned:
    """A DM to post `at` seconds after its case starts, signed beforehand."""

    at: float
    username: str
    dm_id: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Turns:
    """A case's DMs and what the shop sent back."""

    customer_of: dict[str, str] = field(default_factory=dict)  # DM id -> username
    posted: dict[str, float] = field(default_factory=dict)  # DM id -> unix time its POST started
    failed_posts: int = 0
    answered_at: dict[str, float] = field(default_factory=dict)  # DM id -> when it was answered (see above)
    replies: dict[str, int] = field(default_factory=dict)  # username -> turns answered
    sends: dict[str, int] = field(default_factory=dict)  # username -> messages sent to TikTok
    pending: int = 0  # outbound messages of these customers still queued or sending
    post_seconds: float = 0.0  # from the first POST to the last one's end

    def latencies_ms(self, usernames: set[str]) -> list[float]:
        return [
            (self.answered_at[dm] - sent) * 1000
            for dm, sent in self.posted.items()
            if self.customer_of[dm] in usernames and dm in self.answered_at
        ]

    @property
    def unanswered(self) -> int:
        return sum(1 for dm in self.posted if dm not in self.answered_at)


def plan(at: float, username: str, text: str, dm_id: str) -> Planned:
    body, headers = signed_dm(text=text, username=username, message_id=dm_id)
    return Planned(at=at, username=username, dm_id=dm_id, body=body, headers=headers)


def post_lanes(port: int, turns: Turns, lanes: list[tuple[list[Planned], int]]) -> None:
    """POST every lane's DMs at once, each at its time or as soon after as one of the lane's clients is free."""
    lock = threading.Lock()
    start = time.monotonic() + 0.2

    def client(queue: Iterator[Planned]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            time.sleep(max(0.0, start + item.at - time.monotonic()))
            sent_at = time.time()
            ok = post_delivery(connection, PATHS["shop"], item.body, item.headers)
            with lock:
                turns.customer_of[item.dm_id] = item.username
                if ok:
                    turns.posted[item.dm_id] = sent_at
                else:
                    turns.failed_posts += 1
        connection.close()

    targets = []
    for planned, clients in lanes:
        queue = iter(planned)
        targets += [lambda queue=queue: client(queue)] * clients
    run_threads(targets)
    turns.post_seconds = time.monotonic() - start


def collect_turns(pipelines: Pipelines, turns: Turns, *, pattern: str) -> None:
    """Read which of the case's DMs (their ids LIKE `pattern`) are answered, and what was sent to whom."""
    inbound = pipelines.monitor.execute(
        "SELECT id, customer_id, tiktok_message_id FROM conversations_message "
        "WHERE direction = 'inbound' AND tiktok_message_id LIKE %s",
        (pattern,),
    ).fetchall()
    outbound = pipelines.monitor.execute(
        "SELECT customer_id, in_reply_to_id, state, tiktok_message_id FROM conversations_message "
        "WHERE direction = 'outbound' AND customer_id = ANY(%s)",
        (sorted({customer for _, customer, _ in inbound}),),
    ).fetchall()
    arrived_at = pipelines.arrivals()
    answers: dict[int, list[tuple[int, float]]] = defaultdict(list)  # customer -> (in reply to, reached TikTok)
    turns.pending = 0
    for customer, reply_to, state, tiktok_id in outbound:
        at = arrived_at(tiktok_id) if state == "sent" else None
        turns.pending += state in ("queued", "sending")
        if at is not None and reply_to is not None:
            answers[customer].append((reply_to, at))
    for message_id, customer, dm_id in inbound:
        times = [at for reply_to, at in answers[customer] if reply_to >= message_id]
        if times and dm_id in turns.customer_of:
            turns.answered_at[dm_id] = min(times)
            username = turns.customer_of[dm_id]
            turns.replies[username] = len({reply_to for reply_to, _ in answers[customer]})
            turns.sends[username] = len(answers[customer])


def drain_turns(pipelines: Pipelines, turns: Turns, *, pattern: str) -> None:
    """Wait until every DM is answered and nothing is left to send (up to --drain-seconds without progress)."""
    last_progress, seen = time.monotonic(), None
    while time.monotonic() - last_progress < pipelines.options.drain_seconds:
        collect_turns(pipelines, turns, pattern=pattern)
        if len(turns.answered_at) >= len(turns.posted) and turns.pending == 0:
            return
        progress = (len(turns.answered_at), sum(turns.sends.values()), turns.pending)
        if progress != seen:
            seen, last_progress = progress, time.monotonic()
        time.sleep(0.2)


def flood(pipelines: Pipelines, options: argparse.Namespace) -> tuple[bool, int]:
    """The flood case, printed; (goal met, DMs unanswered or not accepted)."""
    run = pipelines.run_id
    flooder = f"flood_customer_{run}"
    others = {f"flood_other_{run}_{number}" for number in range(options.flood_others)}
    flooding = [
        plan(0.0, flooder, CONVERSATION[number % len(CONVERSATION)], f"pipe-{run}-flood-{number}")
        for number in range(options.flood)
    ]
    writing_once = [
        plan(number * OTHERS_EVERY_SECONDS, username, "got any nike jackets in L?", f"pipe-{run}-flood-other-{number}")
        for number, username in enumerate(sorted(others))
    ]
    turns = Turns()
    post_lanes(pipelines.port, turns, [(flooding, FLOOD_CLIENTS), (writing_once, 1)])
    drain_turns(pipelines, turns, pattern=f"pipe-{run}-flood-%")
    latencies = turns.latencies_ms(others)
    print(
        f"\nflood: one customer posts {options.flood} DMs from {FLOOD_CLIENTS} clients at once (in "
        f"{turns.post_seconds:.1f} s) while {len(others)} others post one each, one every {OTHERS_EVERY_SECONDS:g} s"
    )
    p99 = percentile(latencies, 0.99) if latencies else float("inf")
    if latencies:
        print(
            f"  the {len(others)} others: DM to reply p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms "
            f"({len(latencies)} answered)"
        )
    flooder_dms = sum(1 for dm in turns.posted if turns.customer_of[dm] == flooder)
    print(
        f"  the flooding customer: {flooder_dms} DMs, replies {turns.replies.get(flooder, 0)} "
        f"(messages sent {turns.sends.get(flooder, 0)})"
    )
    missing = turns.unanswered + turns.failed_posts
    print(f"  {missing} DMs not accepted or unanswered")
    goal_met = p99 <= GOAL_FLOOD_P99_MS and len(latencies) == len(others)
    print(
        f"goal: the others' p99 <= {GOAL_FLOOD_P99_MS:g} ms during a flood -> {p99:.0f} ms, "
        f"{'met' if goal_met else 'NOT met'}"
    )
    return goal_met, missing


def bubbles(pipelines: Pipelines, options: argparse.Namespace) -> int:
    """The bubbles case, printed; how many DMs were unanswered or not accepted."""
    run = pipelines.run_id
    customers = [f"bubbles_customer_{run}_{number}" for number in range(options.bubble_customers)]
    planned = [
        plan(
            number * CUSTOMER_GAP_SECONDS + index * BUBBLE_GAP_SECONDS,
            username,
            text,
            f"pipe-{run}-bubbles-{number}-{index}",
        )
        for number, username in enumerate(customers)
        for index, text in enumerate(BUBBLES)
    ]
    turns = Turns()
    post_lanes(pipelines.port, turns, [(planned, 1)])
    drain_turns(pipelines, turns, pattern=f"pipe-{run}-bubbles-%")
    counts = [turns.replies.get(username, 0) for username in customers]
    last_bubbles = {item.dm_id for item in planned if item.dm_id.endswith(f"-{len(BUBBLES) - 1}")}
    waits = [(turns.answered_at[dm] - turns.posted[dm]) * 1000 for dm in last_bubbles if dm in turns.answered_at]
    quoted = " / ".join(f'"{text}"' for text in BUBBLES)
    print(
        f"\nbubbles: {len(customers)} customers, {CUSTOMER_GAP_SECONDS:g} s apart, each post {quoted} "
        f"{BUBBLE_GAP_SECONDS:g} s apart"
    )
    if counts:
        print(
            f"  replies per customer: mean {statistics.mean(counts):.1f} ({', '.join(map(str, counts))}); "
            f"last bubble to reply p50 {statistics.median(waits) if waits else float('nan'):.0f} ms"
        )
    missing = turns.unanswered + turns.failed_posts
    print(f"  {missing} of {len(planned)} DMs not accepted or unanswered")
    return missing
