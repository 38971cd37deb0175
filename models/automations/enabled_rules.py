"""The enabled automations' triggers as the evaluator holds them, reread only when they change.

Every message the evaluator takes first reads the automations' version (their number and
newest `updated`: one indexed aggregate), and parses the triggers again only when it moved.
Any create, update, enable, disable or delete changes one of the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from models.automations.tables import Automation
from models.automations.trigger_rules import AutomationRules, read_automation_rules

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: (how many automations are enabled, the newest `updated` of any automation)
Version = tuple[int, datetime | None]


async def read_automations_version(session: AsyncSession) -> Version:
    enabled = await session.scalar(
        select(func.count()).select_from(Automation).where(Automation.enabled.is_(True))
    )
    newest = await session.scalar(select(func.max(Automation.updated)))
    return int(enabled or 0), newest


async def read_enabled_rules(session: AsyncSession) -> list[AutomationRules]:
    """Every enabled automation's triggers, the notification policies' included."""
    rows = await session.execute(
        select(Automation.id, Automation.name, Automation.trigger).where(
            Automation.enabled.is_(True)
        )
    )
    return [read_automation_rules(row.id, row.name, row.trigger) for row in rows]


@dataclass
class EnabledRules:
    """A process's copy of the enabled automations' triggers."""

    version: Version | None = None
    rules: list[AutomationRules] = field(default_factory=list)

    async def current(self, session: AsyncSession) -> list[AutomationRules]:
        version = await read_automations_version(session)
        if version != self.version:
            self.rules = await read_enabled_rules(session)
            self.version = version
        return self.rules
