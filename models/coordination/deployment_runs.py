"""A flow run asked of a deployment: what the run takes from its deployment and what the
client adds, checked against the deployment's parameter schema.

The run itself is created by models/runs/flow_run_transitions.py `create_flow_run`, the one
path every flow run is made by; this module prepares its body and the columns it sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from models.coordination.deployments import NOT_FOUND_DETAIL, Deployment
from models.coordination.parameter_schemas import check_parameters
from models.coordination.work_pools import WorkPool, WorkQueue
from models.coordination.work_queues import ensure_work_queue
from models.errors import ObjectNotFound, SignalboxError
from models.runs.flow_run_transitions import create_flow_run
from models.schemas.flow_runs import FlowRunCreate
from models.schemas.states import StateCreate
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.runs.flow_runs import FlowRun, FlowRunState
    from models.schemas.flow_runs import DeploymentFlowRunCreate


class NoWorkPool(SignalboxError):
    """A work queue named for a run of a deployment that has no work pool (a 400)."""


class TooManyRuns(SignalboxError):
    """More runs asked of one bulk create than it makes (a 400, as the reference)."""


@dataclass(frozen=True)
class DeploymentRunRequest:
    """The body of the run to create and the columns its body cannot carry."""

    body: FlowRunCreate
    columns: dict[str, Any]


def scheduled_now(now: datetime) -> StateCreate:
    """The first state of a run asked for without one: SCHEDULED for now."""
    return StateCreate(type=StateType.SCHEDULED, state_details={"scheduled_time": now.isoformat()})


def merged_tags(deployment_tags: list[str], given: list[str]) -> list[str]:
    """The deployment's tags and the run's, each once, the deployment's first."""
    return list(dict.fromkeys([*deployment_tags, *given]))


async def prepare_deployment_flow_run(
    session: AsyncSession,
    deployment_id: UUID,
    request: DeploymentFlowRunCreate,
    created_by: dict[str, Any] | None,
    now: datetime,
) -> DeploymentRunRequest:
    """What a run of the deployment is made of: its parameters over the deployment's
    (checked against the schema when it is enforced: 409), its job variables over the
    deployment's, the tags of both, and the deployment's queue or the one named (made in the
    deployment's pool if missing). Raises ObjectNotFound for an unknown deployment."""
    deployment = await session.get(Deployment, deployment_id)
    if deployment is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    parameters = {**(deployment.parameters or {}), **request.parameters}
    enforce = (
        request.enforce_parameter_schema
        if request.enforce_parameter_schema is not None
        else deployment.enforce_parameter_schema
    )
    if enforce:
        check_parameters(parameters, deployment.parameter_openapi_schema, "Error creating flow run")
    queue = (
        await session.get(WorkQueue, deployment.work_queue_id) if deployment.work_queue_id else None
    )
    pool = await session.get(WorkPool, queue.work_pool_id) if queue is not None else None
    if request.work_queue_name:
        if pool is None:
            raise NoWorkPool(
                f"Cannot create flow run in work queue {request.work_queue_name} because"
                f" deployment {deployment_id} is not associated with a work pool. Please"
                " remove work_pool_name and try again."
            )
        queue = await ensure_work_queue(session, pool, request.work_queue_name, now)
    labels = {
        **(deployment.labels or {}),
        "prefect.flow.id": str(deployment.flow_id),
        "prefect.deployment.id": str(deployment.id),
        **request.labels,
    }
    body = FlowRunCreate.model_validate(
        {
            **request.model_dump(exclude={"enforce_parameter_schema", "state"}),
            "state": request.state or scheduled_now(now),
            "flow_id": deployment.flow_id,
            "deployment_id": deployment.id,
            "parameters": parameters,
            "tags": merged_tags(deployment.tags or [], request.tags),
            "labels": labels,
            "job_variables": {**(deployment.job_variables or {}), **request.job_variables},
            "infrastructure_document_id": (
                request.infrastructure_document_id or deployment.infrastructure_document_id
            ),
            "work_queue_name": queue.name if queue is not None else deployment.work_queue_name,
            "work_pool_name": pool.name if pool is not None else None,
            "created_by": created_by,
        }
    )
    columns = {
        "deployment_version": deployment.version,
        "work_queue_id": queue.id if queue is not None else None,
        "work_pool_id": pool.id if pool is not None else None,
    }
    return DeploymentRunRequest(body, columns)


def create_prepared_flow_run(
    prepared: DeploymentRunRequest, session: Session
) -> tuple[FlowRun, FlowRunState | None, dict[str, Any] | None]:
    """Create the run prepared (synchronous: run it with `Database.write`)."""
    return create_flow_run(session, prepared.body, prepared.columns)
