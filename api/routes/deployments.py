"""Deployments: create (an upsert by flow and name), read by id or by name, change, delete,
list, count and page; runs made from them; pausing; their schedules; the runner's poll."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, json_values, no_content
from api.routes.run_states import announce_created_flow_run, owing_first_state
from models.coordination.deployment_runs import (
    TooManyRuns,
    create_prepared_flow_run,
    prepare_deployment_flow_run,
)
from models.coordination.deployment_schedules import (
    add_schedules,
    delete_schedule,
    read_schedules,
    update_schedule,
)
from models.coordination.deployment_writes import (
    delete_deployment,
    delete_deployments,
    set_deployment_paused,
    update_deployment,
    upsert_deployment,
)
from models.coordination.deployments import (
    count_deployments,
    filter_deployments,
    paginate_deployments,
    read_deployment,
    read_deployment_by_name,
)
from models.coordination.scheduled_runs import poll_scheduled_runs
from models.db.types import utcnow
from models.errors import SignalboxError
from models.filters.bodies import DeploymentCountBody, DeploymentFilterBody
from models.schemas.deployments import (
    BULK_CREATE_LIMIT,
    DeploymentBulkDelete,
    DeploymentBulkDeleteResponse,
    DeploymentCreate,
    DeploymentResponse,
    DeploymentUpdate,
    FlowRunBulkCreateResponse,
    FlowRunCreateResult,
    ScheduledRunsRequest,
)
from models.schemas.flow_runs import (
    DeploymentFlowRunCreate,
    FlowRunResponse,
    deployment_flow_run_list,
)
from models.schemas.pagination import DeploymentPageBody
from models.schemas.schedules import (
    DeploymentScheduleCreate,
    DeploymentScheduleResponse,
    DeploymentScheduleUpdate,
    schedule_list,
)

routes = web.RouteTableDef()

TAG = "Deployments"


def publish(request: web.Request, events: list[dict[str, Any]]) -> None:
    """Hand committed events to the subscribers of /api/events/out."""
    for event in events:
        request.app[keys.events_hub].publish_soon(event)


@routes.post("/api/deployments/")
@documented(
    "Create a deployment, or update the flow's deployment of that name (201 when created, "
    "200 when updated); its schedules become those given.",
    tag=TAG,
    body=DeploymentCreate,
    response=DeploymentResponse,
    status=201,
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentCreate)
    async with request.app[keys.database].sessions.begin() as session:
        upsert = await upsert_deployment(session, body, utcnow())
    publish(request, upsert.events)
    return json_model(
        DeploymentResponse.from_view(upsert.view), status=201 if upsert.created else 200
    )


@routes.get(f"/api/deployments/{ID}")
@documented("A deployment by id.", tag=TAG, response=DeploymentResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        view = await read_deployment(session, path_uuid(request))
    return json_model(DeploymentResponse.from_view(view))


@routes.get("/api/deployments/name/{flow_name}/{deployment_name}")
@documented("A deployment by its flow's name and its own.", tag=TAG, response=DeploymentResponse)
async def read_by_name(request: web.Request) -> web.Response:
    flow_name, name = request.match_info["flow_name"], request.match_info["deployment_name"]
    async with request.app[keys.database].read_sessions() as session:
        view = await read_deployment_by_name(session, flow_name, name)
    return json_model(DeploymentResponse.from_view(view))


@routes.patch(f"/api/deployments/{ID}")
@documented("Change the fields sent (others stay as they are); schedules sent replace them.",
            tag=TAG, body=DeploymentUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentUpdate)
    async with request.app[keys.database].sessions.begin() as session:
        events = await update_deployment(session, path_uuid(request), body, utcnow())
    publish(request, events)
    return no_content()


@routes.delete(f"/api/deployments/{ID}")
@documented("Delete a deployment, its schedules and its runs not started.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        event = await delete_deployment(session, path_uuid(request))
    publish(request, [event])
    return no_content()


@routes.post("/api/deployments/filter")
@documented("Deployments matching a filter, sorted and paged (at most 200).", tag=TAG,
            body=DeploymentFilterBody, response=DeploymentResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        views = await filter_deployments(session, body)
    return json_models([DeploymentResponse.from_view(v) for v in views], DeploymentResponse)


@routes.post("/api/deployments/count")
@documented("How many deployments match a filter (a bare integer).", tag=TAG,
            body=DeploymentCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_deployments(session, body)
    return json_value(total)


@routes.post("/api/deployments/paginate")
@documented("One page of the deployments matching a filter, with their count and pages.",
            tag=TAG, body=DeploymentPageBody)  # fmt: skip
async def paginate(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentPageBody)
    async with request.app[keys.database].read_sessions() as session:
        views, total = await paginate_deployments(session, body)
    results = [DeploymentResponse.from_view(v).model_dump(mode="json") for v in views]
    return json_values(body.answer(results, total))


@routes.post("/api/deployments/bulk_delete")
@documented("Delete the deployments matching a filter (at most `limit`, 200); their ids.",
            tag=TAG, body=DeploymentBulkDelete,
            response=DeploymentBulkDeleteResponse)  # fmt: skip
async def bulk_delete(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentBulkDelete)
    async with request.app[keys.database].sessions.begin() as session:
        deleted, events = await delete_deployments(session, body)
    publish(request, events)
    return json_model(DeploymentBulkDeleteResponse(deleted=deleted))


@routes.post("/api/deployments/get_scheduled_flow_runs")
@documented(
    "A runner's poll: the deployments' SCHEDULED runs due by `scheduled_before`, soonest "
    "first; the deployments are marked READY, polled now.",
    tag=TAG,
    body=ScheduledRunsRequest,
    response=FlowRunResponse,
    response_is_list=True,
)
async def get_scheduled_flow_runs(request: web.Request) -> web.Response:
    body = await read_body(request, ScheduledRunsRequest)
    now = utcnow()
    async with request.app[keys.database].sessions.begin() as session:
        poll = await poll_scheduled_runs(
            session, body.deployment_ids, body.scheduled_before, body.limit, now
        )
    publish(request, poll.events)
    responses = [FlowRunResponse.from_row(run, state, now) for run, state in poll.runs]
    return json_models(responses, FlowRunResponse)


@routes.post(f"/api/deployments/{ID}/create_flow_run")
@documented(
    "Create a run of the deployment (SCHEDULED now unless a state is given): its parameters "
    "over the deployment's, checked against its schema when enforced (409).",
    tag=TAG,
    body=DeploymentFlowRunCreate,
    response=FlowRunResponse,
    status=201,
)
async def create_run(request: web.Request) -> web.Response:
    body = await read_body(request, DeploymentFlowRunCreate)
    database = request.app[keys.database]
    async with database.sessions.begin() as session:
        prepared = await prepare_deployment_flow_run(
            session, path_uuid(request), body, None, utcnow()
        )
    (flow_run, state, event), owed = await database.write(
        owing_first_state(partial(create_prepared_flow_run, prepared))
    )
    created = await announce_created_flow_run(request, flow_run, state, event, owed)
    return json_model(FlowRunResponse.from_row(flow_run, state), status=201 if created else 200)


@routes.post(f"/api/deployments/{ID}/create_flow_run/bulk")
@documented(
    f"Create up to {BULK_CREATE_LIMIT} runs of the deployment, each as create_flow_run "
    "would; one result per run (CREATED with its id, or FAILED with the reason).",
    tag=TAG,
    body=DeploymentFlowRunCreate,
    body_is_list=True,
    response=FlowRunBulkCreateResponse,
)
async def create_runs(request: web.Request) -> web.Response:
    asked = deployment_flow_run_list.validate_json(await request.read() or b"[]")
    if len(asked) > BULK_CREATE_LIMIT:
        raise TooManyRuns(f"Cannot create more than {BULK_CREATE_LIMIT} flow runs at once.")
    deployment_id = path_uuid(request)
    database = request.app[keys.database]
    async with database.read_sessions() as session:
        await read_deployment(session, deployment_id)  # an unknown deployment is a 404
    results = []
    for body in asked:
        try:
            async with database.sessions.begin() as session:
                prepared = await prepare_deployment_flow_run(
                    session, deployment_id, body, None, utcnow()
                )
            (flow_run, state, event), owed = await database.write(
                owing_first_state(partial(create_prepared_flow_run, prepared))
            )
        except SignalboxError as exc:
            results.append(FlowRunCreateResult(status="FAILED", error=exc.detail))
            continue
        await announce_created_flow_run(request, flow_run, state, event, owed)
        results.append(FlowRunCreateResult(flow_run_id=flow_run.id, status="CREATED"))
    return json_model(FlowRunBulkCreateResponse(results=results))


@routes.post(f"/api/deployments/{ID}/pause_deployment")
@documented("Pause a deployment: its auto-scheduled runs not started are deleted.", tag=TAG)
async def pause(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await set_deployment_paused(session, path_uuid(request), True, utcnow())
    return json_value(None)


@routes.post(f"/api/deployments/{ID}/resume_deployment")
@documented("Resume a paused deployment; the scheduler makes its runs again.", tag=TAG)
async def resume(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await set_deployment_paused(session, path_uuid(request), False, utcnow())
    return json_value(None)


@routes.get(f"/api/deployments/{ID}/schedules")
@documented("The deployment's schedules.", tag=TAG, response=DeploymentScheduleResponse,
            response_is_list=True)  # fmt: skip
async def read_deployment_schedules(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        schedules = await read_schedules(session, path_uuid(request))
    return json_models(
        [DeploymentScheduleResponse.model_validate(s) for s in schedules],
        DeploymentScheduleResponse,
    )


@routes.post(f"/api/deployments/{ID}/schedules")
@documented("Add schedules to a deployment (a list); a slug it has already is a 409.", tag=TAG,
            body=DeploymentScheduleCreate, body_is_list=True,
            response=DeploymentScheduleResponse, response_is_list=True,
            status=201)  # fmt: skip
async def create_deployment_schedules(request: web.Request) -> web.Response:
    rows = [schedule.row() for schedule in schedule_list.validate_json(await request.read())]
    async with request.app[keys.database].sessions.begin() as session:
        added = await add_schedules(session, path_uuid(request), rows, utcnow())
    return json_models(
        [DeploymentScheduleResponse.model_validate(s) for s in added],
        DeploymentScheduleResponse,
        status=201,
    )


@routes.patch(f"/api/deployments/{ID}/schedules/{{schedule_id}}")
@documented("Change the fields sent of one schedule.", tag=TAG,
            body=DeploymentScheduleUpdate, status=204)  # fmt: skip
async def update_deployment_schedule(request: web.Request) -> web.Response:
    changes = (await read_body(request, DeploymentScheduleUpdate)).changes()
    deployment_id, schedule_id = path_uuid(request), path_uuid(request, "schedule_id")
    async with request.app[keys.database].sessions.begin() as session:
        await update_schedule(session, deployment_id, schedule_id, changes, utcnow())
    return no_content()


@routes.delete(f"/api/deployments/{ID}/schedules/{{schedule_id}}")
@documented("Delete one schedule of a deployment.", tag=TAG, status=204)
async def delete_deployment_schedule(request: web.Request) -> web.Response:
    deployment_id, schedule_id = path_uuid(request), path_uuid(request, "schedule_id")
    async with request.app[keys.database].sessions.begin() as session:
        await delete_schedule(session, deployment_id, schedule_id, utcnow())
    return no_content()
