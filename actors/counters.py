"""Concurrency counters kept right by actors: slots come back from holders that went away.

Two ways, besides the client's own release: the expiry sweep (on `services`) gives back the
slots of every lease whose holder stopped renewing, and a task run that reaches a terminal
state gives back what it still holds (on `state`, sent by the task-run recorder).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from uuid import UUID

import dramatiq

from actors import resources
from actors.enqueue import enqueue
from actors.retrying import PERSISTENCE_OPTIONS
from models.concurrency.leases import expire_leases, release_task_run_leases
from models.db.types import utcnow
from models.states import is_terminal

if TYPE_CHECKING:
    from models.schemas.task_run_events import TaskRunStateRows

#: Seconds between two sweeps: the clock sends `expire_concurrency_leases` this often, so a
#: dead holder's slots are free at most a lease duration plus this much after its last renewal.
LEASE_SWEEP_PERIOD_SECONDS: Final = 5.0
#: Leases one sweep expires at most; more left means another message.
EXPIRY_BATCH: Final = 500


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def expire_concurrency_leases(batch_size: int = EXPIRY_BATCH) -> None:
    """Give back the slots of leases that were not renewed in time.

    Safe to run twice at once: each lease is given back by the one transaction that locks
    and deletes it; the other passes it by.
    """
    async with resources.database().sessions.begin() as session:
        expired = await expire_leases(session, utcnow(), limit=batch_size)
    if expired == batch_size:  # more to do: a fresh message, not a longer loop
        await enqueue(expire_concurrency_leases, batch_size)


@dramatiq.actor(queue_name="state", throws=(ValueError,), **PERSISTENCE_OPTIONS)
async def release_task_run_slots(task_run_ids: list[str]) -> None:
    """Give back the slots these task runs still hold; they reached a terminal state.

    Usually the client released them already and nothing is left; a redelivered message
    finds nothing either.
    """
    ids = [UUID(task_run_id) for task_run_id in task_run_ids]
    async with resources.database().sessions.begin() as session:
        await release_task_run_leases(session, ids, utcnow())


async def release_slots_of_finished_task_runs(rows: Sequence[TaskRunStateRows]) -> None:
    """Queue the release of what the task runs that entered a terminal state still hold."""
    finished = sorted({str(row.task_run["id"]) for row in rows if is_terminal(row.state["type"])})
    if finished:
        await enqueue(release_task_run_slots, finished)
