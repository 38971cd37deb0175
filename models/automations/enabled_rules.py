"""The enabled automations' triggers as the evaluator holds them, reread only when they change.

Every message the evaluator takes first reads the store's `automations_version` (their
number and newest `updated`: one aggregate), and reads the triggers again only when it
moved. Any create, update, enable, disable or delete changes one of the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from models.automations.store import automations_version, enabled_automations
from models.automations.trigger_rules import AutomationRules, read_automation_rules

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def read_enabled_rules(session: AsyncSession) -> list[AutomationRules]:
    """Every enabled automation's triggers (the notification policies' included), read
    through the store and turned into the evaluator's rules."""
    return [
        read_automation_rules(
            automation.id, automation.name, automation.trigger.model_dump(mode="json")
        )
        for automation in await enabled_automations(session)
    ]


@dataclass
class EnabledRules:
    """A process's copy of the enabled automations' triggers."""

    version: tuple[int, datetime | None] | None = None
    rules: list[AutomationRules] = field(default_factory=list)

    async def current(self, session: AsyncSession) -> list[AutomationRules]:
        version = await automations_version(session)
        if version != self.version:
            self.rules = await read_enabled_rules(session)
            self.version = version
        return self.rules
