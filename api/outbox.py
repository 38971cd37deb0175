"""What the API sends to the actors, coalesced per actor: events, logs, flow-run states; and
the relay that hands the outbox's committed messages to Redis.

Events and logs are durable once on Redis, so a request waits for their message to be sent.
A flow-run state's announcement is durable before that: it is written into the outbox
(`models.messages.outbox`) in the state's transaction. After the commit the relay sends it at
once through the coalescer (the fast path) and deletes its row once it is on Redis. When
Redis is away the request is answered all the same (the state and its announcement are
committed), and a sweep sends what waits in the outbox once Redis answers again.

Delivery is at least once: a row whose delete did not happen, or that two API processes sweep
at the same moment, is sent twice. No lock or claim prevents that, on purpose: a claim would
have to hold a transaction (or a lease) across the Redis send, and the actor it feeds,
`announce_flow_run_states`, is idempotent (an event is evaluated once per automation trigger,
a notification delivery is keyed by policy and state), so a duplicate costs one message and
changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

import dramatiq.errors
import redis
from sqlalchemy.exc import DBAPIError

from actors.enqueue import Coalescer, enqueue
from actors.ingest import persist_events, persist_logs
from actors.notifications import queue_owed_deliveries
from actors.persistence import announce_flow_run_states, record_task_run_events
from models.errors import DatabaseUnavailable
from models.messages.announcements import ANNOUNCING_ACTOR
from models.messages.outbox import (
    add_announcements,
    add_outbox_message,
    delete_outbox_messages,
    read_waiting_outbox_messages,
)
from models.runs.background_tasks import OUTBOX_ADDRESS, queued_background_run

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

    from dramatiq import Actor
    from sqlalchemy.orm import Session

    from actors.high_water import HighWaterMark
    from models.db.database import Database
    from models.messages.announcements import Announcement
    from models.messages.event_batches import QueuedEvent
    from models.messages.log_batches import QueuedLogRecord
    from models.runs.background_tasks import (
        BackgroundTaskQueues,
        QueuedBackgroundRun,
        StateLike,
    )

logger = logging.getLogger(__name__)

#: Outbox rows younger than this are left to the request that wrote them; the sweep sends
#: older ones (their fast send failed, or their process died before it).
SWEEP_AFTER: Final = timedelta(seconds=3)
#: The most rows a sweep reads at once; it reads on while it finds full batches.
SWEEP_BATCH_ROWS: Final = 500
#: The longest a request waits for its announcements to reach Redis before it answers
#: anyway: they are committed in the outbox, and the send goes on in the background.
FAST_PATH_WAIT_SECONDS: Final = 2.0
#: The longest a sweep waits for its sends before it reads the outbox again.
SWEEP_WAIT_SECONDS: Final = 10.0
#: Redis's errors: it is away, loading, or out of memory. The message stays in the outbox.
REDIS_ERRORS: Final = (redis.RedisError, dramatiq.errors.BrokerConnectionError)
#: The database's errors: the relayed rows are deleted later, or sent once more.
DATABASE_ERRORS: Final = (DatabaseUnavailable, DBAPIError)


class Sender(Protocol):
    """What the relay hands an outbox row's argument to: a coalescer of an actor's
    messages, or the background task queues. The future is done once it is on Redis."""

    def put(self, items: list[Any]) -> asyncio.Future[None]: ...


class BackgroundRunsSender:
    """Puts background task runs owed by the outbox on their task workers' queues."""

    def __init__(self, queues: BackgroundTaskQueues) -> None:
        self.queues = queues

    def put(self, items: list[QueuedBackgroundRun]) -> asyncio.Future[None]:
        return asyncio.ensure_future(self.queues.enqueue_all(items))


@dataclass(frozen=True)
class OwedMessage:
    """An outbox row written in a transaction just committed, and what it holds."""

    id: UUID
    actor_name: str
    argument: list[Any]


def owe_announcements(session: Session, announcements: list[Announcement]) -> OwedMessage | None:
    """Write `announcements` into the outbox in the session's transaction; None if none.

    For a unit of work of `Database.write`, beside the states announced.
    """
    message_id = add_announcements(session, announcements)
    if message_id is None:
        return None
    return OwedMessage(message_id, ANNOUNCING_ACTOR, list(announcements))


def owe_background_run(
    session: Session, task_key: str, task_run_id: UUID, state: StateLike
) -> OwedMessage:
    """Write a run that entered a background SCHEDULED state into the outbox, in the
    session's transaction, for the relay to put on its task workers' queue."""
    runs = [queued_background_run(task_key, task_run_id, state)]
    return OwedMessage(
        add_outbox_message(session, OUTBOX_ADDRESS, list(runs)), OUTBOX_ADDRESS, runs
    )


async def hurry(actor: Actor[[], Any]) -> None:
    """Send a periodic service's message now rather than when the clock next sends it.

    Only an optimisation (the clock sends it anyway), so when Redis is away the request that
    asked is answered as usual: its own data is committed.
    """
    try:
        await enqueue(actor)
    except REDIS_ERRORS as error:
        logger.warning(
            "Could not send %s early (%s); the clock sends it when Redis is back.",
            actor.actor_name,
            type(error).__name__,
        )


class Outbox:
    """One coalescer per batch actor, and the relay of the outbox table; closed (flushed)
    when the application stops."""

    def __init__(
        self,
        database: Database,
        sweep_seconds: float,
        background_tasks: BackgroundTaskQueues,
        high_water: HighWaterMark | None = None,
    ) -> None:
        # The bulk streams wait while Redis is above its high-water mark (`Coalescer.room`).
        self.task_run_events: Coalescer[QueuedEvent] = Coalescer(
            record_task_run_events, high_water=high_water
        )
        self.events: Coalescer[QueuedEvent] = Coalescer(persist_events, high_water=high_water)
        self.logs: Coalescer[QueuedLogRecord] = Coalescer(persist_logs, high_water=high_water)
        self.flow_run_states: Coalescer[Announcement] = Coalescer(announce_flow_run_states)
        # Only swept rows: the automations' evaluator owes its policies' deliveries here when
        # it could not queue them itself.
        self.owed_deliveries: Coalescer[str] = Coalescer(queue_owed_deliveries)
        self.relay = OutboxRelay(
            database,
            {
                announce_flow_run_states.actor_name: self.flow_run_states,
                queue_owed_deliveries.actor_name: self.owed_deliveries,
                OUTBOX_ADDRESS: BackgroundRunsSender(background_tasks),
            },
            sweep_seconds,
        )

    def start(self) -> None:
        self.relay.start()

    async def close(self) -> None:
        await self.relay.stop()
        for coalescer in (
            self.task_run_events,
            self.events,
            self.logs,
            self.flow_run_states,
            self.owed_deliveries,
        ):
            await coalescer.close()
        await self.relay.finish()


class OutboxRelay:
    """Sends outbox rows to Redis through the coalescers and deletes them once there.

    Deletes are batched: the ids relayed meanwhile go in one unit of the group-commit writer
    while the previous one runs, not one transaction per row.
    """

    def __init__(
        self,
        database: Database,
        coalescers: dict[str, Sender],
        sweep_seconds: float,
    ) -> None:
        self.database = database
        self.coalescers = coalescers
        self.sweep_seconds = sweep_seconds
        #: Rows whose send is under way: a sweep does not send them again meanwhile.
        self.sending: set[UUID] = set()
        #: Rows on Redis whose delete has not been committed yet.
        self.relayed: set[UUID] = set()
        self.redis_away = False
        self.database_away = False
        self.tasks: set[asyncio.Task[Any]] = set()
        self.deleter: asyncio.Task[None] | None = None
        self.sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.sweeper = asyncio.get_running_loop().create_task(self.sweep_forever())

    async def stop(self) -> None:
        """Stop sweeping (the coalescers are flushed next, then `finish`)."""
        if self.sweeper is not None:
            self.sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeper

    async def finish(self) -> None:
        """Settle the sends still under way and delete what reached Redis; what did not
        stays in the outbox for the next API process to sweep."""
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=FAST_PATH_WAIT_SECONDS)
        if self.deleter is not None and not self.deleter.done():
            await self.deleter
        await self.delete_relayed()

    async def relay(self, owed: OwedMessage | None) -> None:
        """Send a message just committed to the outbox (the fast path), waiting a little.

        Never raises for Redis: the message is durable, and the sweep sends it later.
        """
        if owed is None:
            return
        sending = self.send([owed])
        await asyncio.wait([sending], timeout=FAST_PATH_WAIT_SECONDS)

    def send(self, messages: Iterable[OwedMessage]) -> asyncio.Task[bool]:
        """Put each message in its actor's coalescer; the task tells whether all reached Redis
        (their rows are then deleted soon)."""
        sent = []
        for message in messages:
            self.sending.add(message.id)
            sent.append((message.id, self.coalescers[message.actor_name].put(message.argument)))
        task = asyncio.get_running_loop().create_task(self.settle(sent))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def settle(self, sent: list[tuple[UUID, asyncio.Future[None]]]) -> bool:
        results = await asyncio.gather(*(future for _, future in sent), return_exceptions=True)
        failure = None
        for (message_id, _), result in zip(sent, results, strict=True):
            self.sending.discard(message_id)
            if result is None:
                self.relayed.add(message_id)
            elif isinstance(result, REDIS_ERRORS):
                failure = result
            else:  # not Redis's fault (a bug): said loudly; the row stays, the sweep retries
                logger.error("Outbox message %s could not be sent.", message_id, exc_info=result)
        if failure is not None:
            self.note_redis_away(failure)
        elif sent:
            self.note_redis_back()
        if self.relayed and (self.deleter is None or self.deleter.done()):
            self.deleter = asyncio.get_running_loop().create_task(self.delete_relayed())
        return failure is None

    def note_redis_away(self, error: BaseException) -> None:
        if not self.redis_away:  # one line per outage, however many requests meet it
            self.redis_away = True
            logger.warning(
                "Redis is unavailable (%s: %s); flow-run announcements wait in the outbox "
                "and are sent when it answers again.",
                type(error).__name__,
                error,
            )

    def note_redis_back(self) -> None:
        if self.redis_away:
            self.redis_away = False
            logger.warning("Redis answers again; the outbox's announcements are being sent.")

    async def delete_relayed(self) -> None:
        """Delete the rows on Redis, in one transaction per batch gathered meanwhile."""
        while self.relayed:
            batch, self.relayed = self.relayed, set()
            try:
                await self.database.write(partial(delete_outbox_messages, message_ids=batch))
            except DATABASE_ERRORS as error:
                # Kept: the next relay or sweep deletes them; a sweep in another process may
                # send them once more meanwhile, which the actors shrug off.
                self.relayed |= batch
                self.note_database_away(error)
                return
            self.database_away = False

    def note_database_away(self, error: BaseException) -> None:
        if not self.database_away:
            self.database_away = True
            logger.warning("The outbox cannot be read or cleared now (%s).", error)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            try:
                await self.sweep()
            except DATABASE_ERRORS as error:
                self.note_database_away(error)

    async def sweep(self) -> None:
        """Send the rows waiting longer than SWEEP_AFTER, batch after batch while Redis takes
        them; and delete what is relayed but not deleted yet."""
        if self.relayed and (self.deleter is None or self.deleter.done()):
            await self.delete_relayed()
        while True:
            skipped = self.sending | self.relayed
            async with self.database.read_sessions() as session:
                rows = await read_waiting_outbox_messages(
                    session, SWEEP_AFTER, SWEEP_BATCH_ROWS + len(skipped)
                )
            self.database_away = False
            waiting = [
                OwedMessage(row.id, row.actor_name, row.argument)
                for row in rows
                if row.id not in skipped and row.actor_name in self.coalescers
            ]
            if not waiting:
                return
            sending = self.send(waiting)
            done, _ = await asyncio.wait([sending], timeout=SWEEP_WAIT_SECONDS)
            if not done or not sending.result() or len(waiting) < SWEEP_BATCH_ROWS:
                return
