"""An automation's recent firings, each with the action runs it set off, newest first.

What the automation's page shows under "what it did": the evaluator writes firings, the action
runner writes action runs; this reads them back by the automation's indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from models.automations.action_runs import ActionRun
from models.automations.firings import Firing

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

#: Firings a page of history shows at the most.
RECENT_FIRINGS: Final = 20


@dataclass(frozen=True)
class FiringHistory:
    """One firing and its action runs, in the order the actions were listed."""

    firing: Firing
    action_runs: list[ActionRun]


async def read_recent_firings(
    session: AsyncSession, automation_id: UUID, limit: int = RECENT_FIRINGS
) -> list[FiringHistory]:
    """The automation's latest firings (newest first), each with its action runs."""
    firings = list(
        await session.scalars(
            select(Firing)
            .where(Firing.automation_id == automation_id)
            .order_by(Firing.created.desc(), Firing.id)
            .limit(limit)
        )
    )
    runs: dict[UUID, list[ActionRun]] = {firing.id: [] for firing in firings}
    if firings:
        found = await session.scalars(
            select(ActionRun)
            .where(ActionRun.firing_id.in_(list(runs)))
            .order_by(ActionRun.firing_id, ActionRun.action_index)
        )
        for run in found:
            runs[run.firing_id].append(run)
    return [FiringHistory(firing, runs[firing.id]) for firing in firings]
