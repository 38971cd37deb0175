"""Firings whose actions never started: handed to the action runner again.

The evaluator sends each new firing to the `actions` queue after its transaction commits
(a notification policy's firing it acts on itself, writing its action run beside it);
a process killed between the commit and the send would leave a firing nobody acts on. The
action runner records each action it starts in `automation_action_run` (its `firing_id`),
so a firing old enough to have been picked up but without such a row is sent again; the
action runner is idempotent, so a firing that was only slow costs nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import column, exists, select, table

from models.automations.firings import Firing
from models.automations.tables import Automation
from models.db.base import Base

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The action runner's record of the actions it started (its table, its column).
ACTION_RUNS: Final = "automation_action_run"


async def read_unacted_firings(
    session: AsyncSession, created_after: datetime, created_before: datetime, limit: int
) -> list[UUID]:
    """Firings created in that interval of which no action has started, oldest first; a
    firing of an automation without actions to run has nothing to start and is left out.

    Without the action runner's table (a database without it), there is nothing to compare
    with and nothing is returned.
    """
    if ACTION_RUNS not in Base.metadata.tables:
        return []
    action_runs = table(ACTION_RUNS, column("firing_id"))
    rows = await session.execute(
        select(Firing.id, Automation.actions, Automation.actions_on_trigger)
        .join(Automation, Automation.id == Firing.automation_id)
        .where(
            Firing.created > created_after,
            Firing.created <= created_before,
            ~exists().where(action_runs.c.firing_id == Firing.id),
        )
        .order_by(Firing.created)
        .limit(limit)
    )
    return [row.id for row in rows if row.actions or row.actions_on_trigger]
