"""The sweep: events nobody sent to the evaluator (the API's own, or a message lost before a
commit was acknowledged) found in the event table and evaluated like the rest.

It reads the events received since its cursor minus an overlap (a transaction that took
its `received` time before committing may become visible late), oldest first and a page at
a time. Evaluating an event twice is harmless (see `evaluation.py`), so the overlap costs
reads, never firings. Records of evaluated events are pruned once older than anything the
evaluator will still look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import and_, delete, or_, select

from models.automations.evaluation import candidate_event
from models.automations.trigger_state import EvaluatedEvent, SweepCursor
from models.db.dialect import upsert
from models.events.tables import EventRow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.automations.matching import CandidateEvent
    from models.automations.trigger_rules import AutomationRules

#: The cursor's name (one sweep reads the event table).
EVENTS_CURSOR: Final = "events"


async def read_sweep_start(session: AsyncSession, now: datetime, overlap: timedelta) -> datetime:
    """Where this sweep starts: the cursor less the overlap; the first sweep, `now` less it
    (events stored before automations existed set nothing off)."""
    cursor = await session.scalar(
        select(SweepCursor.received).where(SweepCursor.name == EVENTS_CURSOR)
    )
    return (cursor or now) - overlap


def like_patterns(automations: Sequence[AutomationRules]) -> list[str] | None:
    """SQL LIKE patterns for every event name some trigger may evaluate; None when some
    trigger takes any name (no `expect`) or a pattern is more than `*` wildcards."""
    patterns: list[str] = []
    for automation in automations:
        for rule in automation.events:
            if not rule.expect:
                return None
            for pattern in rule.expect | rule.after:
                if any(special in pattern for special in "?[]"):
                    return None
                escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                patterns.append(escaped.replace("*", "%"))
    return patterns


async def read_events_received_since(
    session: AsyncSession,
    after: tuple[datetime, UUID | None],
    names: list[str] | None,
    limit: int,
) -> list[CandidateEvent]:
    """A page of events received after `after` ((received, id): the last one read), oldest
    first, only those whose names match `names` (LIKE patterns; None: all)."""
    received, last_id = after
    query = select(EventRow).order_by(EventRow.received, EventRow.id).limit(limit)
    if last_id is None:
        query = query.where(EventRow.received >= received)
    else:
        query = query.where(
            or_(
                EventRow.received > received,
                and_(EventRow.received == received, EventRow.id > last_id),
            )
        )
    if names is not None:
        query = query.where(or_(*(EventRow.event.like(name, escape="\\") for name in names)))
    return [candidate_event(row) for row in await session.scalars(query)]


async def move_sweep_cursor(session: AsyncSession, received: datetime) -> None:
    dialect = session.get_bind().dialect.name
    await session.execute(
        upsert(
            dialect,
            SweepCursor,
            key=["name"],
            columns=["received"],
            where=lambda insert: SweepCursor.received < insert.excluded.received,
        ),
        [{"name": EVENTS_CURSOR, "received": received}],
    )


async def prune_evaluated_events(session: AsyncSession, older_than: datetime) -> int:
    result = await session.execute(
        delete(EvaluatedEvent).where(EvaluatedEvent.evaluated < older_than)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's result has it
