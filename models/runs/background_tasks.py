"""Background task runs on their way to task workers: one Redis queue per task key.

`task.delay()` creates a task run whose first state is SCHEDULED with `deferred` in its
details; a task worker subscribed to the task's key runs it. Prefect's server keeps these
queues in memory; here they live in Redis, so any web process serves any task worker and a
restart of the API loses none of them.

- Entering such a state through REST (the run created, or a state proposed by `set_state`)
  writes the run into the outbox in the same transaction (`OUTBOX_ADDRESS`); once committed,
  the API's outbox relay puts `"<task run id> <state id>"` on `<ns>:scheduled:<task key>`,
  at once or, when Redis was away, once it answers again. An AwaitingRetry goes on
  `<ns>:retry:<task key>`, served first, as on Prefect's server. A message on
  `<ns>:wake:<task key>` wakes the subscriptions waiting for that key.
- A subscription takes the next entry from the lists of its keys into `<ns>:dispatched`, a
  sorted set scored by the moment the dispatch expires, in one Lua script: an entry is
  always in a list or in the set, whatever dies in between. A run no longer in the state it
  was queued in (it ran, was cancelled, or is gone) is dropped when taken.
- Until the task worker acknowledges a run the subscription keeps renewing its expiry, and a
  socket that breaks puts its run back at once. After the ack the worker has
  `pickup_seconds` to move the run out of that state (its PENDING arrives as an event); a
  dispatch that expires with the run still in it goes back on the retry list. So a run
  reaches a worker at least once, even when a worker or a web process dies holding it.
- AwaitingRetry states proposed through REST are queued again. The task engine retries in
  the worker's own process and reports those states as events, which queue nothing (as on
  Prefect's server).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeGuard, cast
from uuid import UUID

import redis.asyncio
from sqlalchemy import select
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from models.runs.task_runs import TaskRun, TaskRunState, current_state_row
from models.states import StateType

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.db.database import Database

NAMESPACE = "signalbox:background-tasks"
DISPATCHED = f"{NAMESPACE}:dispatched"
#: The name Prefect gives a SCHEDULED state that waits for a retry.
AWAITING_RETRY = "AwaitingRetry"
#: What an outbox row of background task runs owed to their queues is addressed to: no
#: actor, the API puts them on Redis itself (`BackgroundTaskQueues.enqueue_all`).
OUTBOX_ADDRESS: Final = "background_task_runs"

# KEYS[1]: the dispatched set; KEYS[2..]: the lists in the order they are served.
# ARGV[1]: the expiry; ARGV[2..]: the task key of each list.
TAKE_SCRIPT = """
for i = 2, #KEYS do
  local entry = redis.call('RPOP', KEYS[i])
  if entry then
    local member = entry .. ' ' .. ARGV[i]
    redis.call('ZADD', KEYS[1], ARGV[1], member)
    return member
  end
end
return false
"""

# KEYS[1]: the dispatched set; KEYS[2]: the retry list. ARGV: member, entry, wake channel.
# Only the caller that removes the member puts the entry back: two never both do.
PUT_BACK_SCRIPT = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  redis.call('PUBLISH', ARGV[3], '')
  return 1
end
return 0
"""


def scheduled_list(task_key: str) -> str:
    return f"{NAMESPACE}:scheduled:{task_key}"


def retry_list(task_key: str) -> str:
    return f"{NAMESPACE}:retry:{task_key}"


def wake_channel(task_key: str) -> str:
    return f"{NAMESPACE}:wake:{task_key}"


class StateLike(Protocol):
    """A state as the history stores it (`TaskRunState`) or as orchestration returns it."""

    @property
    def id(self) -> UUID: ...
    @property
    def type(self) -> StateType: ...
    @property
    def name(self) -> str: ...
    @property
    def state_details(self) -> dict[str, Any]: ...


def is_background_schedule(state: StateLike | None) -> TypeGuard[StateLike]:
    """Whether entering `state` queues its run for task workers (SCHEDULED and deferred)."""
    return (
        state is not None
        and state.type is StateType.SCHEDULED
        and bool((state.state_details or {}).get("deferred"))
    )


class QueuedBackgroundRun(TypedDict):
    """A run that entered a background SCHEDULED state, as the outbox keeps it until it is
    queued (ids as text: the outbox's column is JSON)."""

    task_key: str
    task_run_id: str
    state_id: str
    state_name: str


def queued_background_run(
    task_key: str, task_run_id: UUID, state: StateLike
) -> QueuedBackgroundRun:
    return {
        "task_key": task_key,
        "task_run_id": str(task_run_id),
        "state_id": str(state.id),
        "state_name": state.name,
    }


@dataclass(frozen=True)
class Dispatch:
    """One task run handed to a subscription, in the state it was queued in."""

    task_run_id: UUID
    state_id: UUID
    task_key: str

    @property
    def entry(self) -> str:
        """What the run is on a list as."""
        return f"{self.task_run_id} {self.state_id}"

    @property
    def member(self) -> str:
        """What the run is in the dispatched set as (the task key says where it goes back)."""
        return f"{self.entry} {self.task_key}"

    @classmethod
    def from_member(cls, member: str | bytes) -> Dispatch:
        text = member.decode() if isinstance(member, bytes) else member
        task_run_id, state_id, task_key = text.split(" ", 2)
        return cls(UUID(task_run_id), UUID(state_id), task_key)


class BackgroundTaskQueues:
    """The queues of every task key, on one Redis client."""

    def __init__(self, client: redis.asyncio.Redis, pickup_seconds: float) -> None:
        self.client = client
        self.pickup_seconds = pickup_seconds
        self.take_script = client.register_script(TAKE_SCRIPT)
        self.put_back_script = client.register_script(PUT_BACK_SCRIPT)

    async def enqueue_all(self, runs: list[QueuedBackgroundRun]) -> None:
        """Queue runs that entered a background SCHEDULED state (a retry is served first).

        The outbox relays at least once, so a run may be queued twice: the second entry is
        dropped when taken if the first moved the run on, and otherwise served again, as a
        run whose dispatch expired is.
        """
        async with self.client.pipeline(transaction=True) as pipe:
            for run in runs:
                task_key = run["task_key"]
                retry = run["state_name"] == AWAITING_RETRY
                queue = retry_list(task_key) if retry else scheduled_list(task_key)
                pipe.lpush(queue, f"{run['task_run_id']} {run['state_id']}")
                pipe.publish(wake_channel(task_key), "")
            await pipe.execute()

    async def take(self, task_keys: Sequence[str]) -> Dispatch | None:
        """The next run of any of these keys (retries first), now dispatched; None if none."""
        lists = [retry_list(key) for key in task_keys] + [scheduled_list(key) for key in task_keys]
        member = await self.take_script(
            keys=[DISPATCHED, *lists], args=[self.expiry(), *task_keys, *task_keys]
        )
        return None if member is None else Dispatch.from_member(member)

    async def renew(self, dispatch: Dispatch) -> None:
        """Push the dispatch's expiry back (the worker has not answered yet, or just has)."""
        await self.client.zadd(DISPATCHED, {dispatch.member: self.expiry()}, xx=True)

    async def put_back(self, dispatch: Dispatch) -> bool:
        """Queue a dispatched run again, first in line; False if it was no longer dispatched."""
        put_back = await self.put_back_script(
            keys=[DISPATCHED, retry_list(dispatch.task_key)],
            args=[dispatch.member, dispatch.entry, wake_channel(dispatch.task_key)],
        )
        return bool(put_back)

    async def settle(self, dispatch: Dispatch) -> None:
        """Forget a dispatch: its run moved on."""
        await self.client.zrem(DISPATCHED, dispatch.member)

    async def expired(self) -> list[Dispatch]:
        members = await self.client.zrangebyscore(DISPATCHED, "-inf", time.time())
        return [Dispatch.from_member(cast(bytes, member)) for member in members]

    def expiry(self) -> float:
        return time.time() + self.pickup_seconds

    async def wakeups(self, task_keys: Sequence[str]) -> PubSub:
        """A pub/sub connection told whenever a run of these keys is queued (close it after)."""
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*(wake_channel(key) for key in task_keys))
        return pubsub


async def read_dispatched_task_run(
    session: AsyncSession, dispatch: Dispatch
) -> tuple[TaskRun, TaskRunState] | None:
    """The run with its current state, if it is still in the state it was queued in."""
    task_run = await session.get(TaskRun, dispatch.task_run_id)
    if task_run is None or task_run.state_id != dispatch.state_id:
        return None
    state = await current_state_row(session, task_run)
    return None if state is None else (task_run, state)


async def runs_in_their_queued_state(
    session: AsyncSession, dispatches: Sequence[Dispatch]
) -> set[UUID]:
    """The task runs among these whose current state is still the one they were queued in."""
    rows = await session.execute(
        select(TaskRun.id, TaskRun.state_id).where(
            TaskRun.id.in_([dispatch.task_run_id for dispatch in dispatches])
        )
    )
    current = {run_id: state_id for run_id, state_id in rows}
    return {d.task_run_id for d in dispatches if current.get(d.task_run_id) == d.state_id}


async def requeue_expired_dispatches(queues: BackgroundTaskQueues, database: Database) -> int:
    """Put back every expired dispatch whose run never left its queued state; forget the rest.

    Any subscription may run this: each dispatch is put back by one caller only.
    """
    expired = await queues.expired()
    if not expired:
        return 0
    async with database.read_sessions() as session:
        waiting = await runs_in_their_queued_state(session, expired)
    requeued = 0
    for dispatch in expired:
        if dispatch.task_run_id in waiting:
            requeued += await queues.put_back(dispatch)
        else:
            await queues.settle(dispatch)
    return requeued
