"""Deployment actions: run, pause or resume the deployment an action names or the firing is
about.

A run asked by an action carries an idempotency key derived from its action run, so a
redelivered message finds the run it made instead of making a second one. Pausing and
resuming set a flag, which is the same done twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from models.automations.actions.invocation import ActionFailed, Performed, target
from models.automations.actions.targets import selected_or_inferred
from models.automations.template_context import template_context
from models.automations.templates import TemplateFailure, is_template, render_template
from models.coordination.deployment_runs import (
    create_prepared_flow_run,
    prepare_deployment_flow_run,
)
from models.coordination.deployment_writes import set_deployment_paused
from models.db.types import utcnow
from models.errors import ObjectNotFound, SignalboxError
from models.messages.announcements import announcement
from models.schemas.flow_runs import DeploymentFlowRunCreate
from models.schemas.states import StateCreate
from models.states import StateType

if TYPE_CHECKING:
    from collections.abc import Mapping

    from models.automations.actions.invocation import Invocation
    from models.db.database import Database


def render_parameters(value: Any, context: Mapping[str, Any], max_bytes: int) -> Any:
    """The action's parameters with every template in them rendered: a text holding Jinja,
    or Prefect's `{"__prefect_kind": "jinja", "template": ...}` placeholder."""
    if isinstance(value, dict):
        if value.get("__prefect_kind") == "jinja":
            return render_template(str(value.get("template", "")), context, max_bytes=max_bytes)
        return {key: render_parameters(item, context, max_bytes) for key, item in value.items()}
    if isinstance(value, list):
        return [render_parameters(item, context, max_bytes) for item in value]
    if isinstance(value, str) and is_template(value):
        return render_template(value, context, max_bytes=max_bytes)
    return value


async def run_deployment(database: Database, invocation: Invocation) -> Performed:
    """run-deployment: a run of the deployment, SCHEDULED `schedule_after` seconds from now."""
    deployment_id = selected_or_inferred(invocation, "deployment_id", "deployment")
    action = invocation.action
    now = utcnow()
    parameters = action.get("parameters")
    if parameters:
        async with database.read_sessions() as session:
            context = await template_context(session, invocation, parameters)
        try:
            parameters = render_parameters(parameters, context, invocation.template_max_bytes)
        except TemplateFailure as failure:
            raise ActionFailed(f"Template rendering failed: {failure}") from None
    delay = timedelta(seconds=float(action.get("schedule_after") or 0))
    request = DeploymentFlowRunCreate.model_validate(
        {
            "parameters": parameters or {},
            "job_variables": action.get("job_variables") or {},
            "idempotency_key": str(invocation.run_id),
            "state": StateCreate(
                type=StateType.SCHEDULED,
                state_details={"scheduled_time": (now + delay).isoformat()},
            ),
        }
    )
    created_by = {
        "id": str(invocation.automation.id),
        "type": "AUTOMATION",
        "display_value": invocation.automation.name,
    }
    try:
        async with database.sessions.begin() as session:
            prepared = await prepare_deployment_flow_run(
                session, deployment_id, request, created_by, now
            )
    except ObjectNotFound:
        raise ActionFailed(f"Deployment {deployment_id} not found") from None
    except SignalboxError as refused:  # parameters the deployment's schema refuses
        raise ActionFailed(str(refused)) from None
    flow_run, state, event = await database.write(
        lambda session: create_prepared_flow_run(prepared, session)
    )
    performed = Performed(
        details={"flow_run_id": str(flow_run.id)},
        related=[
            target("deployment", deployment_id),
            {
                "prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
                "prefect.resource.role": "flow-run",
            },
        ],
    )
    if event is not None and state is not None:  # None: the run existed (a redelivery)
        performed.events.append(event)
        performed.announcements.append(
            announcement(flow_run.id, state.id, None, flow_run.parent_task_run_id)
        )
    return performed


async def pause_or_resume_deployment(database: Database, invocation: Invocation) -> Performed:
    """pause-deployment and resume-deployment."""
    deployment_id = selected_or_inferred(invocation, "deployment_id", "deployment")
    paused = invocation.action_type == "pause-deployment"
    try:
        async with database.sessions.begin() as session:
            await set_deployment_paused(session, deployment_id, paused, utcnow())
    except ObjectNotFound:
        raise ActionFailed(f"Deployment {deployment_id} not found") from None
    return Performed(related=[target("deployment", deployment_id)])
