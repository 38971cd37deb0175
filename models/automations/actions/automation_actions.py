"""Automation actions: pause or resume the automation an action names or the firing is about.

A paused automation stays paused however often this runs. The automation's `updated` moves,
so the evaluator, which reads enabled automations by it, sees the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from models.automations.actions.invocation import ActionFailed, Performed, target
from models.automations.actions.targets import selected_or_inferred
from models.automations.tables import Automation
from models.db.types import utcnow

if TYPE_CHECKING:
    from models.automations.actions.invocation import Invocation
    from models.db.database import Database


async def pause_or_resume_automation(database: Database, invocation: Invocation) -> Performed:
    """pause-automation and resume-automation."""
    automation_id = selected_or_inferred(invocation, "automation_id", "automation")
    enabled = invocation.action_type == "resume-automation"
    async with database.sessions.begin() as session:
        changed = await session.execute(
            update(Automation)
            .where(Automation.id == automation_id)
            .values(enabled=enabled, updated=utcnow())
            .returning(Automation.id)
        )
        if changed.first() is None:
            raise ActionFailed(f"Automation {automation_id} not found")
    return Performed(related=[target("automation", automation_id)])
