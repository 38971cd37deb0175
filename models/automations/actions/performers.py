"""Which function performs each action type, and which actions a firing runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from models.automations.actions.automation_actions import pause_or_resume_automation
from models.automations.actions.deployment_actions import (
    pause_or_resume_deployment,
    run_deployment,
)
from models.automations.actions.flow_run_actions import (
    change_flow_run_state,
    delete_inferred_flow_run,
    resume_paused_flow_run,
)
from models.automations.actions.invocation import Performed
from models.automations.actions.notifications import call_webhook, send_notification
from models.automations.actions.work_pool_actions import (
    pause_or_resume_work_pool,
    pause_or_resume_work_queue,
)
from models.automations.firings import FiringKind

if TYPE_CHECKING:
    from models.automations.actions.invocation import Invocation
    from models.automations.firings import Firing
    from models.automations.tables import Automation
    from models.db.database import Database

Performer = Callable[["Database", "Invocation"], Awaitable[Performed]]


async def do_nothing(database: Database, invocation: Invocation) -> Performed:
    """do-nothing: recorded and evented like any action, and nothing else."""
    return Performed()


#: The performer of each action type, by the `type` Prefect's client sends.
PERFORMERS: Final[dict[str, Performer]] = {
    "do-nothing": do_nothing,
    "run-deployment": run_deployment,
    "pause-deployment": pause_or_resume_deployment,
    "resume-deployment": pause_or_resume_deployment,
    "cancel-flow-run": change_flow_run_state,
    "suspend-flow-run": change_flow_run_state,
    "change-flow-run-state": change_flow_run_state,
    "resume-flow-run": resume_paused_flow_run,
    "delete-flow-run": delete_inferred_flow_run,
    "call-webhook": call_webhook,
    "send-notification": send_notification,
    "pause-work-pool": pause_or_resume_work_pool,
    "resume-work-pool": pause_or_resume_work_pool,
    "pause-work-queue": pause_or_resume_work_queue,
    "resume-work-queue": pause_or_resume_work_queue,
    "pause-automation": pause_or_resume_automation,
    "resume-automation": pause_or_resume_automation,
}


def actions_of_firing(automation: Automation, firing: Firing) -> list[dict[str, Any]]:
    """The actions a firing runs, in order: `actions` then `actions_on_trigger` when the
    trigger fired, `actions_on_resolve` when it resolved. An action's index in this list
    is its place in the firing's action runs."""
    if firing.kind == FiringKind.RESOLVED:
        return list(automation.actions_on_resolve or [])
    return [*(automation.actions or []), *(automation.actions_on_trigger or [])]
