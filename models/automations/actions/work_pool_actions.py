"""Work pool and work queue actions: pause or resume the pool or queue an action names or the
firing is about. Setting a pause flag twice is the same as once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.automations.actions.invocation import ActionFailed, Performed, target
from models.automations.actions.targets import selected_or_inferred
from models.coordination.work_pools import WorkPool, update_work_pool
from models.coordination.work_queues import update_work_queue
from models.db.types import utcnow
from models.errors import Forbidden, ObjectNotFound

if TYPE_CHECKING:
    from models.automations.actions.invocation import Invocation
    from models.db.database import Database


async def pause_or_resume_work_pool(database: Database, invocation: Invocation) -> Performed:
    """pause-work-pool and resume-work-pool."""
    pool_id = selected_or_inferred(invocation, "work_pool_id", "work-pool")
    paused = invocation.action_type == "pause-work-pool"
    async with database.sessions.begin() as session:
        pool = await session.get(WorkPool, pool_id)
        if pool is None:
            raise ActionFailed(f"Work pool {pool_id} not found")
        try:
            await update_work_pool(session, pool.name, {"is_paused": paused}, utcnow())
        except Forbidden as refused:
            raise ActionFailed(str(refused)) from None
    return Performed(related=[target("work-pool", pool_id)])


async def pause_or_resume_work_queue(database: Database, invocation: Invocation) -> Performed:
    """pause-work-queue and resume-work-queue."""
    queue_id = selected_or_inferred(invocation, "work_queue_id", "work-queue")
    paused = invocation.action_type == "pause-work-queue"
    try:
        async with database.sessions.begin() as session:
            await update_work_queue(session, queue_id, {"is_paused": paused}, utcnow())
    except ObjectNotFound:
        raise ActionFailed(f"Work queue {queue_id} not found") from None
    return Performed(related=[target("work-queue", queue_id)])
