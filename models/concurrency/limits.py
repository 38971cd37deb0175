"""Concurrency limits themselves: create, find by id or name, change, delete, list.

The v1 tag limits are the same rows, named `tag:<tag>`: TAG_PREFIX + tag.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Float, delete, func, literal, select, update

from models.concurrency.decay import decayed_counters
from models.concurrency.leases import delete_orphaned_leases, leases_on_limit
from models.concurrency.tables import ConcurrencyLimit
from models.db.dialect import insert_ignoring_duplicates
from models.errors import ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

#: A v1 tag limit is the global limit named TAG_PREFIX + tag.
TAG_PREFIX: Final = "tag:"
#: What the reference answers (404) for an unknown limit.
NOT_FOUND_DETAIL: Final = "Concurrency Limit not found"


def tag_limit_name(tag: str) -> str:
    return f"{TAG_PREFIX}{tag}"


def identified_by(id_or_name: str | UUID) -> ColumnElement[bool]:
    """The limit an API path names: by id when it reads as a UUID, else by name."""
    if isinstance(id_or_name, UUID):
        return ConcurrencyLimit.id == id_or_name
    try:
        return ConcurrencyLimit.id == UUID(id_or_name)
    except ValueError:
        return ConcurrencyLimit.name == id_or_name


async def create_limit(session: AsyncSession, values: dict[str, Any]) -> ConcurrencyLimit:
    """A new limit; raises ObjectAlreadyExists when the name is taken."""
    row = {"id": uuid4(), **values}
    if not await insert_ignoring_duplicates(session, ConcurrencyLimit, [row], key=["name"]):
        raise ObjectAlreadyExists(
            f"A concurrency limit with the name {values['name']!r} already exists."
        )
    return await read_limit(session, row["id"])


async def read_limit(
    session: AsyncSession, id_or_name: str | UUID, detail: str = NOT_FOUND_DETAIL
) -> ConcurrencyLimit:
    """The limit with that id or name; raises ObjectNotFound."""
    limit = await session.scalar(
        select(ConcurrencyLimit)
        .where(identified_by(id_or_name))
        .execution_options(populate_existing=True)
    )
    if limit is None:
        raise ObjectNotFound(detail)
    return limit


async def update_limit(
    session: AsyncSession, id_or_name: str | UUID, changes: dict[str, Any], now: datetime
) -> None:
    """Change the fields given; raises ObjectNotFound, or ObjectAlreadyExists for a taken name.

    The counters are decayed up to now in the same statement, so a new decay rate or limit
    applies from now on, not retroactively. Counters set explicitly start afresh.
    """
    limit = ConcurrencyLimit
    if "name" in changes:
        taken = await session.scalar(
            select(limit.id).where(limit.name == changes["name"], ~identified_by(id_or_name))
        )
        if taken is not None:
            raise ObjectAlreadyExists(
                f"A concurrency limit with the name {changes['name']!r} already exists."
            )
    counters = decayed_counters(literal(now.timestamp(), Float()))
    values: dict[str, Any] = {
        "active_slots": counters.active_slots,
        "denied_slots": counters.denied_slots,
        "slots_decayed_at": counters.slots_decayed_at,
        **changes,
        "updated": now,
    }
    if "active_slots" in changes or "denied_slots" in changes:
        values["slots_decayed_at"] = now.timestamp()
    result = await session.execute(
        update(limit)
        .where(identified_by(id_or_name))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ObjectNotFound(NOT_FOUND_DETAIL)


async def delete_limit(
    session: AsyncSession, id_or_name: str | UUID, detail: str = NOT_FOUND_DETAIL
) -> None:
    """Delete a limit; leases that held only it go too. Raises ObjectNotFound."""
    limit = await read_limit(session, id_or_name, detail)
    lease_ids = await leases_on_limit(session, limit.id)
    await session.execute(
        delete(ConcurrencyLimit)
        .where(ConcurrencyLimit.id == limit.id)
        .execution_options(synchronize_session=False)
    )
    await delete_orphaned_leases(session, lease_ids)


async def list_limits(
    session: AsyncSession,
    *,
    offset: int,
    limit: int,
    tags_only: bool = False,
    without_tags: bool = False,
) -> Sequence[ConcurrencyLimit]:
    """A page of limits in name order; `tags_only`: only the v1 tag limits; `without_tags`:
    only the others."""
    statement = select(ConcurrencyLimit).order_by(ConcurrencyLimit.name)
    is_tag_limit = ConcurrencyLimit.name.startswith(TAG_PREFIX, autoescape=True)
    if tags_only:
        statement = statement.where(is_tag_limit)
    if without_tags:
        statement = statement.where(~is_tag_limit)
    rows = await session.scalars(statement.offset(offset).limit(limit))
    return list(rows)


async def count_limits(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(ConcurrencyLimit.id))) or 0)


async def upsert_tag_limit(
    session: AsyncSession, tag: str, concurrency_limit: int, now: datetime
) -> tuple[ConcurrencyLimit, bool]:
    """The tag's limit set to `concurrency_limit`, created if missing; True when created."""
    name = tag_limit_name(tag)
    row = {"id": uuid4(), "name": name, "limit": concurrency_limit, "created": now, "updated": now}
    created = await insert_ignoring_duplicates(session, ConcurrencyLimit, [row], key=["name"])
    if not created:
        await update_limit(session, name, {"limit": concurrency_limit}, now)
    return await read_limit(session, name), bool(created)
