"""Writing deployments: the upsert by flow and name, changes, deletion, pausing, and the
`deployment:{id}` concurrency limit that carries a deployment's `concurrency_limit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import delete, select

from models.concurrency.tables import ConcurrencyLimit
from models.coordination.deployment_schedules import patch_schedules, replace_schedules
from models.coordination.deployments import (
    NOT_FOUND_DETAIL,
    Deployment,
    DeploymentView,
    read_deployment,
)
from models.coordination.parameter_schemas import check_job_variables, check_parameters
from models.coordination.scheduled_runs import (
    delete_future_auto_scheduled_runs,
    delete_unstarted_runs,
)
from models.coordination.work_pools import DEFAULT_AGENT_POOL_NAME, read_work_pool
from models.coordination.work_queues import (
    ensure_work_queue,
    read_default_queue,
    read_or_create_agent_pool,
)
from models.db.dialect import insert_ignoring_duplicates
from models.errors import ObjectNotFound
from models.events.deployment_events import (
    record_deployment_event,
    record_deployment_update,
    snapshot,
)
from models.filters.base import list_matching
from models.runs.flows import Flow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.deployments import (
        DeploymentBulkDelete,
        DeploymentCreate,
        DeploymentUpdate,
    )

#: Columns set from the body as they are named there.
COPIED_FIELDS: tuple[str, ...] = (
    "version", "version_info", "description", "paused", "parameter_openapi_schema", "tags",
    "path", "pull_steps", "entrypoint", "storage_document_id", "infrastructure_document_id",
    "enforce_parameter_schema", "parameters", "labels", "job_variables",
)  # fmt: skip


#: Columns that cannot be null: a null sent for one leaves it as it is.
KEPT_ON_NULL = frozenset(
    {"parameters", "job_variables", "enforce_parameter_schema", "paused", "tags"}
)


async def check_pool_job_variables(
    session: AsyncSession, pool_name: str | None, job_variables: dict[str, Any] | None, verb: str
) -> None:
    """The job variables against the named pool's variables schema (422); ObjectNotFound for
    an unknown pool. Without a pool there is nothing to check against."""
    if pool_name and pool_name != DEFAULT_AGENT_POOL_NAME:
        pool = await read_work_pool(session, pool_name)
        check_job_variables(job_variables or {}, pool.base_job_template, f"Error {verb} deployment")


async def resolve_deployment_queue(
    session: AsyncSession, pool_name: str | None, queue_name: str | None, now: datetime
) -> tuple[UUID | None, str | None]:
    """The queue (id, name) a deployment's pool name and queue name send its runs to, as the
    reference resolves them: a named pool must exist (ObjectNotFound naming it), its named
    queue is made if missing, no queue means the pool's default; a queue without a pool lives
    in the agents' default pool (made if missing); neither is no queue."""
    if pool_name and pool_name != DEFAULT_AGENT_POOL_NAME:
        pool = await read_work_pool(session, pool_name)
    elif pool_name or queue_name:
        pool, _ = await read_or_create_agent_pool(session, now)
    else:
        return None, None
    if not queue_name:
        queue = await read_default_queue(session, pool, now)
    else:
        # A queue named without a pool is made first in line (priority 1), as the reference.
        first = None if pool_name else 1
        queue = await ensure_work_queue(session, pool, queue_name, now, priority=first)
    return queue.id, queue.name


def limit_name(deployment_id: UUID) -> str:
    """The name of the global concurrency limit that caps a deployment's runs."""
    return f"deployment:{deployment_id}"


async def set_deployment_limit(
    session: AsyncSession, deployment: Deployment, limit: int | None, now: datetime
) -> None:
    """Keep the deployment's `deployment:{id}` limit at `limit`; None removes it."""
    existing = (
        await session.get(ConcurrencyLimit, deployment.concurrency_limit_id)
        if deployment.concurrency_limit_id
        else None
    )
    if limit is None:
        deployment.concurrency_limit_id = None
        if existing is not None and existing.name == limit_name(deployment.id):
            await session.delete(existing)
        return
    if existing is not None:
        existing.limit = limit
        existing.updated = now
        return
    named = await session.scalar(
        select(ConcurrencyLimit).where(ConcurrencyLimit.name == limit_name(deployment.id))
    )
    if named is None:
        named = ConcurrencyLimit(
            id=uuid4(), created=now, updated=now, name=limit_name(deployment.id), limit=limit
        )
        session.add(named)
        await session.flush()
    else:
        named.limit = limit
    deployment.concurrency_limit_id = named.id


async def use_global_limit(session: AsyncSession, deployment: Deployment, limit_id: UUID) -> None:
    """Cap the deployment's runs by an existing global limit; ObjectNotFound if it is not."""
    if await session.get(ConcurrencyLimit, limit_id) is None:
        raise ObjectNotFound("Concurrency limit not found")
    deployment.concurrency_limit_id = limit_id


def system_labels(deployment: Deployment) -> dict[str, Any]:
    return {**(deployment.labels or {}), "prefect.flow.id": str(deployment.flow_id)}


@dataclass(frozen=True)
class DeploymentUpsert:
    """What an upsert did: the deployment, whether it is new, and the event it wrote."""

    view: DeploymentView
    created: bool
    events: list[dict[str, Any]]


async def upsert_deployment(
    session: AsyncSession, body: DeploymentCreate, now: datetime
) -> DeploymentUpsert:
    """Create the flow's deployment of that name, or replace the fields sent of the existing
    one; its schedules become those given and the runs made from the old ones go. Raises
    ObjectNotFound for an unknown flow or pool."""
    if await session.get(Flow, body.flow_id) is None:
        raise ObjectNotFound("Flow not found")
    await check_pool_job_variables(session, body.work_pool_name, body.job_variables, "creating")
    queue_id, queue_name = await resolve_deployment_queue(
        session, body.work_pool_name, body.work_queue_name, now
    )
    sent = body.model_fields_set
    # Insert-or-nothing first, so two clients deploying one name at once make one row.
    new_row = {"id": uuid4(), "created": now, "updated": now}
    new_row |= {"flow_id": body.flow_id, "name": body.name}
    created = bool(
        await insert_ignoring_duplicates(session, Deployment, [new_row], key=["flow_id", "name"])
    )
    deployment = await session.scalar(
        select(Deployment)
        .where(Deployment.flow_id == body.flow_id, Deployment.name == body.name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if deployment is None:  # deleted in the instant between: as if it never was
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    before = {} if created else snapshot(deployment)
    fields = COPIED_FIELDS if created else tuple(name for name in COPIED_FIELDS if name in sent)
    for name in fields:
        setattr(deployment, name, getattr(body, name))
    if created and "pull_steps" not in sent:
        deployment.pull_steps = []  # the reference's column default
    if created or {"work_pool_name", "work_queue_name"} & sent:
        deployment.work_queue_id, deployment.work_queue_name = queue_id, queue_name
    if created or "concurrency_options" in sent:
        options = body.concurrency_options
        deployment.concurrency_options = options.model_dump(mode="json") if options else None
    deployment.labels = system_labels(deployment)
    deployment.updated = now
    await session.flush()
    if body.global_concurrency_limit_id is not None:
        await use_global_limit(session, deployment, body.global_concurrency_limit_id)
    elif "concurrency_limit" in sent:
        await set_deployment_limit(session, deployment, body.concurrency_limit, now)
    await delete_future_auto_scheduled_runs(session, deployment.id)
    await replace_schedules(session, deployment.id, [s.row() for s in body.schedules], now)
    if created:
        events = [await record_deployment_event(session, deployment, "created")]
    else:
        events = await record_deployment_update(session, deployment, before)
    return DeploymentUpsert(await read_deployment(session, deployment.id), created, events)


async def update_deployment(
    session: AsyncSession, deployment_id: UUID, body: DeploymentUpdate, now: datetime
) -> list[dict[str, Any]]:
    """Change the fields sent; schedules sent replace the deployment's. Returns the
    `prefect.deployment.updated` event written (none when nothing changed). Raises
    ObjectNotFound, or a 409 when the parameters fail the (new or current) schema."""
    deployment = await session.get(Deployment, deployment_id, with_for_update=True)
    if deployment is None:
        raise ObjectNotFound(f"{NOT_FOUND_DETAIL}.")  # with a full stop, as the reference
    sent = body.model_fields_set
    before = snapshot(deployment)
    enforce = (
        body.enforce_parameter_schema
        if body.enforce_parameter_schema is not None
        else deployment.enforce_parameter_schema
    )
    if body.job_variables:
        await check_pool_job_variables(session, body.work_pool_name, body.job_variables, "updating")
    if enforce and body.parameters is not None:
        check_parameters(
            body.parameters,
            body.parameter_openapi_schema or deployment.parameter_openapi_schema,
            "Error updating deployment",
            ignore_required=True,
        )
    if body.work_pool_name or body.work_queue_name:
        deployment.work_queue_id, deployment.work_queue_name = await resolve_deployment_queue(
            session, body.work_pool_name, body.work_queue_name, now
        )
    elif "work_pool_name" in sent:  # a null pool: its runs go to no pool (it is served now)
        deployment.work_queue_id = None
        if "work_queue_name" in sent:
            deployment.work_queue_name = None
    for name in COPIED_FIELDS:
        if name in sent and hasattr(body, name):
            value = getattr(body, name)
            if value is None and name in {
                "parameters",
                "job_variables",
                "enforce_parameter_schema",
            }:
                continue  # null: as it is
            setattr(deployment, name, value)
    if "concurrency_options" in sent:
        options = body.concurrency_options
        deployment.concurrency_options = options.model_dump(mode="json") if options else None
    if body.global_concurrency_limit_id is not None:
        await use_global_limit(session, deployment, body.global_concurrency_limit_id)
    elif "concurrency_limit" in sent:
        await set_deployment_limit(session, deployment, body.concurrency_limit, now)
    deployment.updated = now
    # Whatever changed, the scheduler's future runs reflect the old deployment: they go.
    await delete_future_auto_scheduled_runs(session, deployment_id)
    if body.schedules is not None:
        changes = [(s.slug, s.replaces, s.changes()) for s in body.schedules]
        await patch_schedules(session, deployment_id, changes, now)
    return await record_deployment_update(session, deployment, before)


async def delete_deployment(session: AsyncSession, deployment_id: UUID) -> dict[str, Any]:
    """Delete a deployment, its schedules, its limit and its SCHEDULED runs not started (the
    scheduler's and those asked for); returns the `prefect.deployment.deleted` event."""
    deployment = await session.get(Deployment, deployment_id)
    if deployment is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    event = await record_deployment_event(session, deployment, "deleted")
    await delete_unstarted_runs(session, deployment_id)
    await session.execute(
        delete(ConcurrencyLimit).where(ConcurrencyLimit.name == limit_name(deployment_id))
    )
    await session.delete(deployment)
    return event


async def set_deployment_paused(
    session: AsyncSession, deployment_id: UUID, paused: bool, now: datetime
) -> None:
    """Pause (its auto-scheduled runs not started go) or resume a deployment."""
    deployment = await session.get(Deployment, deployment_id, with_for_update=True)
    if deployment is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    deployment.paused = paused
    deployment.updated = now
    if paused:
        await delete_future_auto_scheduled_runs(session, deployment_id, future_only=False)


async def delete_deployments(
    session: AsyncSession, body: DeploymentBulkDelete
) -> tuple[list[UUID], list[dict[str, Any]]]:
    """Delete the deployments a bulk delete names; their ids and `deleted` events."""
    matching = await list_matching(session, select(Deployment.id), body.matching())
    events = [await delete_deployment(session, deployment_id) for deployment_id in matching]
    return list(matching), events
