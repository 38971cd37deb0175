"""Tag concurrency limits, Prefect's v1 API: a tag's limit is the global limit `tag:<tag>`.

There is no v1 table, so the task engine's lease calls on `tag:<tag>` and the v1 routes see
the same slots. A v1 client cannot renew: its slots are held under a lease that lasts until
the task run gives them back (or reaches a terminal state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from models.concurrency.leases import (
    V1_LEASE_DURATION,
    create_lease,
    has_expired_leases,
    release_limit_leases,
    task_run_holders,
)
from models.concurrency.limits import (
    TAG_PREFIX,
    delete_limit,
    read_limit,
    tag_limit_name,
    update_limit,
)
from models.concurrency.slots import acquire_slots, read_limits_by_name, take_slots
from models.errors import ObjectNotFound

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from models.concurrency.slots import Acquisition, NamedLimit
    from models.concurrency.tables import ConcurrencyLimit

#: What the reference answers (404) for an unknown tag limit.
NOT_FOUND_DETAIL: Final = "Concurrency limit not found"


def task_run_holder(task_run_id: UUID) -> dict[str, str]:
    """The holder of a lease taken for a task run through the v1 API."""
    return {"type": "task_run", "id": str(task_run_id)}


async def read_tag_limit(session: AsyncSession, id_or_tag: UUID | str) -> ConcurrencyLimit:
    """A tag's limit by id or by tag; a global limit's id is ObjectNotFound too."""
    name = tag_limit_name(id_or_tag) if isinstance(id_or_tag, str) else id_or_tag
    limit = await read_limit(session, name, NOT_FOUND_DETAIL)
    if not limit.name.startswith(TAG_PREFIX):  # a global limit, not a tag's
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return limit


async def delete_tag_limit(session: AsyncSession, id_or_tag: UUID | str) -> None:
    """Delete a tag's limit by id or by tag (never a global limit); raises ObjectNotFound."""
    limit = await read_tag_limit(session, id_or_tag)
    await delete_limit(session, limit.id, NOT_FOUND_DETAIL)


async def read_tag_limit_holders(
    session: AsyncSession, limit_ids: Sequence[UUID], now: datetime
) -> tuple[dict[UUID, list[UUID]], bool]:
    """The task runs holding each limit's slots (the v1 `active_slots`), and whether one of
    the limits still counts an expired lease (then the expiry sweep is due)."""
    holders = await task_run_holders(session, limit_ids)
    return holders, await has_expired_leases(session, limit_ids, now)


async def reset_tag_limit(
    session: AsyncSession, tag: str, task_run_ids: Sequence[UUID], now: datetime
) -> None:
    """Free every slot of a tag's limit, then hold one for each task run listed."""
    limit = await read_tag_limit(session, tag)
    await release_limit_leases(session, limit.id, now)
    await update_limit(session, limit.id, {"active_slots": 0}, now)  # lease-less ones too
    for task_run_id in task_run_ids:
        # An override is the operator's word: one slot per task run listed, as long as
        # the limit has room (as Prefect, the ones past the limit are left out).
        if await take_slots(session, [limit.id], 1, now.timestamp()):
            holder = task_run_holder(task_run_id)
            await create_lease(session, [limit.id], 1, V1_LEASE_DURATION, now, holder)


async def acquire_tag_slots(
    session: AsyncSession, tags: Sequence[str], task_run_id: UUID, now: datetime
) -> Acquisition:
    """Take one slot of each tag's limit for a task run, or none (refused, and counted)."""
    names = [tag_limit_name(tag) for tag in tags]
    acquisition = await acquire_slots(session, names, 1, "concurrency", now)
    if acquisition.taken:  # v1 clients cannot renew: the lease lasts until released
        holder = task_run_holder(task_run_id)
        await create_lease(session, acquisition.taken, 1, V1_LEASE_DURATION, now, holder)
    return acquisition


async def release_tag_slots(
    session: AsyncSession, tags: Sequence[str], task_run_id: UUID, now: datetime
) -> list[NamedLimit]:
    """Give back the slots a task run holds on each tag's limit; the limits as they were."""
    limits = await read_limits_by_name(session, [tag_limit_name(tag) for tag in tags])
    for limit in limits:
        await release_limit_leases(session, limit.id, now, holder_id=task_run_id)
    return limits
