"""The worker pools: which queues each pool consumes, with how many threads and how much prefetch.

`signalbox server start`, the Procfile and docker-compose all run these pools; each is one
Dramatiq worker process (or more, to scale out) consuming only its own queues, so a slow
queue never takes threads from another.

The table lives with the CLI rather than in `actors`: `server start` reads it, and importing
anything under `actors` declares every actor, with Dramatiq and each channel's libraries,
in a supervisor that never runs one (about 30 MB more). The channels come from
`ChannelName`, the models' half of the channel registry.

A pool is named after its queue (`notify.slack`). Procfile and docker-compose names cannot
hold a dot, so there the pool is `notify_slack`, and the CLI accepts either spelling
wherever it takes a pool or a queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import click

from models.notifications.channels import ChannelName

#: The notification channels; each has its queue (`notify.<channel>`) and a pool of its own.
CHANNELS = tuple(ChannelName)

#: Longest pause of an idle consumer between polls of Redis, in ms. Dramatiq's default
#: (1 s) adds up to a second to the first message after a quiet spell.
IDLE_POLL_MS: Final = 100
#: The queues a flow-run state crosses before its notification is sent (the state's event
#: stored, evaluated, delivered): each idle one adds up to its poll to the notification's
#: latency, so they poll twice as often. State to first attempt p99: 273-291 ms at 100 ms,
#: 162-180 ms at 50 (25 gave no less); an idle server's CPU +2.6 % of a core (docs/performance.md).
NOTIFICATION_PATH: Final = frozenset({"state", "automations", *(c.queue_name for c in CHANNELS)})
NOTIFICATION_PATH_POLL_MS: Final = 50


@dataclass(frozen=True)
class Pool:
    """One kind of worker process."""

    name: str
    queues: tuple[str, ...]
    threads: int
    #: Messages fetched ahead per process: low where each takes long (a slow receiver).
    prefetch: int
    #: Queues whose consumer fetches ahead other than `prefetch` (in a pool of pools).
    queue_prefetch: tuple[tuple[str, int], ...] = ()

    def prefetch_of(self, queue: str) -> int:
        return dict(self.queue_prefetch).get(queue, self.prefetch)

    @staticmethod
    def idle_poll_of(queue: str) -> int:
        """The longest an idle consumer of `queue` sleeps between polls of Redis, in ms."""
        return NOTIFICATION_PATH_POLL_MS if queue in NOTIFICATION_PATH else IDLE_POLL_MS

    @property
    def process_name(self) -> str:
        """The pool's process in the Procfile and docker-compose (`notify_slack`)."""
        return self.name.replace(".", "_")


POOLS: tuple[Pool, ...] = (
    Pool("state", ("state",), threads=8, prefetch=32),
    # Ingest threads mostly wait for the writer thread's shared transactions: eight keep the
    # next batches prepared while one commits. Prefetch holds more than a consumer's longest
    # idle sleep (the idle poll) takes to store, so the writer never runs dry in a backlog.
    Pool("ingest", ("ingest",), threads=8, prefetch=32),
    Pool("services", ("services",), threads=2, prefetch=2),
    # Automations: events evaluated against the triggers (`automations`), and the actions
    # of the triggers that fired (`actions`), which wait on other services as deliveries do.
    Pool("automations", ("automations",), threads=4, prefetch=16),
    Pool("actions", ("actions",), threads=8, prefetch=32),
    # Deliveries wait on receivers, not on CPU: eight at once per channel. Prefetch is four
    # times the threads: a consumer holding `prefetch` messages sleeps (up to the idle
    # poll) before fetching again, and with prefetch equal to the threads that sleep left
    # every thread idle once its message was done (a no-op actor: 1,000 messages/s instead
    # of 3,900). A held message waits behind at most three others per thread.
    *(
        Pool(channel.queue_name, (channel.queue_name,), threads=8, prefetch=32)
        for channel in CHANNELS
    ),
)


#: The pools `signalbox server start` runs in processes of their own (the others share
#: SERVICES_AND_NOTIFY's, unless `--notify-pools separate`).
SEPARATE_IN_SERVER_START: Final = ("state", "ingest", "automations")


#: The services queue and every channel's queue in one process, for a single machine
#: (`signalbox server start`, where the clock ticks in it too): both are light, and a Python
#: process of its own costs ~70 MB. Each queue's consumer holds at most `prefetch` messages
#: and there are as many threads as queues x prefetch, so a slow channel can only ever occupy
#: its own share of the threads: it never delays another channel, or the services. The
#: Procfile and docker-compose run the services and each channel in processes of their own.
SERVICES_AND_NOTIFY = Pool(
    "services-notify",
    ("services", "actions", *(channel.queue_name for channel in CHANNELS)),
    threads=8 * (2 + len(CHANNELS)),
    prefetch=8,
)


#: Every pool in one process (`signalbox server start --worker-pools one-process`, the clock
#: ticking in it too), for a small machine: a Python process with the actors loaded costs
#: ~80 MB at rest, and one per pool is half of the server's memory. Each queue keeps its own
#: pool's prefetch, and the threads are those of the pools together, so a backlog on one
#: queue occupies at most its prefetch of them. But the state and ingest actors then share
#: one interpreter lock, which costs event throughput: not the default.
ONE_PROCESS = Pool(
    "all",
    ("state", "ingest", "automations", *SERVICES_AND_NOTIFY.queues),
    threads=sum(pool.threads for pool in POOLS if pool.name in SEPARATE_IN_SERVER_START)
    + SERVICES_AND_NOTIFY.threads,
    prefetch=SERVICES_AND_NOTIFY.prefetch,
    queue_prefetch=tuple(
        (pool.name, pool.prefetch) for pool in POOLS if pool.name in SEPARATE_IN_SERVER_START
    ),
)


#: Every queue a pool consumes, which is every queue an actor is declared on.
QUEUES: Final = tuple(dict.fromkeys(queue for pool in POOLS for queue in pool.queues))


def canonical_name(name: str) -> str:
    """A pool or queue name as the pool table spells it: `notify_slack` is `notify.slack`."""
    # No pool or queue has `_` in its name: it can only be the `.` Procfile names cannot hold.
    return name.replace("_", ".")


class PoolOrQueueName(click.Choice[str]):
    """A pool or queue name on the command line, `notify.slack` or `notify_slack` alike."""

    def normalize_choice(self, choice: object, ctx: click.Context | None) -> str:
        return canonical_name(super().normalize_choice(choice, ctx))


def pool_named(name: str) -> Pool:
    """The pool called `name`, in either spelling (`notify.slack`, `notify_slack`)."""
    for pool in (*POOLS, SERVICES_AND_NOTIFY, ONE_PROCESS):
        if pool.name == canonical_name(name):
            return pool
    raise KeyError(name)
