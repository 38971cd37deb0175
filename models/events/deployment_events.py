"""The `prefect.deployment.*` events the server emits: created, updated (naming the fields
that changed, from and to), deleted, and ready when a runner or worker first polls for it.

Each is written to the event table in the transaction of the change, and the caller hands
it to subscribers once that commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from models.coordination.work_pools import WorkPool, WorkQueue
from models.db.types import utcnow
from models.events.tables import insert_events
from models.runs.flows import Flow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.coordination.deployments import Deployment

#: The fields whose changes a `prefect.deployment.updated` event reports, by the names the
#: reference reports them under (it keeps job variables as `infra_overrides`).
EVENT_FIELDS: Final = {
    "description": "description",
    "tags": "tags",
    "parameters": "parameters",
    "parameter_openapi_schema": "parameter_openapi_schema",
    "enforce_parameter_schema": "enforce_parameter_schema",
    "entrypoint": "entrypoint",
    "path": "path",
    "pull_steps": "pull_steps",
    "work_queue_id": "work_queue_id",
    "job_variables": "infra_overrides",
    "paused": "paused",
    "labels": "labels",
    "version": "version",
    "concurrency_limit_id": "concurrency_limit_id",
    "concurrency_options": "concurrency_options",
}


def as_json(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def snapshot(deployment: Deployment) -> dict[str, Any]:
    """The reported fields of a deployment as they are now."""
    return {
        reported: as_json(getattr(deployment, column)) for column, reported in EVENT_FIELDS.items()
    }


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        field: {"from": before[field], "to": value}
        for field, value in after.items()
        if before.get(field) != value
    }


async def related_resources(session: AsyncSession, deployment: Deployment) -> list[dict[str, Any]]:
    """The flow, work queue, work pool, blocks and concurrency limit the deployment uses."""
    related: list[dict[str, Any]] = []
    flow = await session.get(Flow, deployment.flow_id)
    if flow is not None:
        related.append(resource(f"prefect.flow.{flow.id}", "flow", name=flow.name))
    queue = (
        await session.get(WorkQueue, deployment.work_queue_id) if deployment.work_queue_id else None
    )
    if queue is not None:
        related.append(resource(f"prefect.work-queue.{queue.id}", "work-queue", name=queue.name))
        pool = await session.get(WorkPool, queue.work_pool_id)
        if pool is not None:
            related.append(
                resource(f"prefect.work-pool.{pool.id}", "work-pool", name=pool.name)
                | {"prefect.work-pool.type": pool.type}
            )
    for document_id, role in (
        (deployment.storage_document_id, "storage"),
        (deployment.infrastructure_document_id, "infrastructure"),
    ):
        if document_id:
            related.append(resource(f"prefect.block-document.{document_id}", role))
    if deployment.concurrency_limit_id:
        related.append(
            resource(
                f"prefect.concurrency-limit.{deployment.concurrency_limit_id}", "concurrency-limit"
            )
        )
    return related


def resource(resource_id: str, role: str, *, name: str | None = None) -> dict[str, str]:
    found = {"prefect.resource.id": resource_id}
    if name is not None:
        found["prefect.resource.name"] = name
    return found | {"prefect.resource.role": role}


async def record_deployment_event(
    session: AsyncSession,
    deployment: Deployment,
    kind: str,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write `prefect.deployment.<kind>` about the deployment and return it, as JSON."""
    event = {
        "id": str(uuid4()),
        "occurred": utcnow().isoformat(),
        "event": f"prefect.deployment.{kind}",
        "resource": {
            "prefect.resource.id": f"prefect.deployment.{deployment.id}",
            "prefect.resource.name": deployment.name,
        },
        "related": await related_resources(session, deployment),
        "payload": payload or {},
    }
    await session.run_sync(lambda sync_session: insert_events(sync_session, [event]))
    return event


async def record_deployment_update(
    session: AsyncSession, deployment: Deployment, before: dict[str, Any]
) -> list[dict[str, Any]]:
    """The `prefect.deployment.updated` event of what changed since `before`; none if
    nothing did."""
    changes = changed_fields(before, snapshot(deployment))
    if not changes:
        return []
    payload = {"updated_fields": list(changes), "updates": changes}
    return [await record_deployment_event(session, deployment, "updated", payload)]
