"""Notification deliveries: listed per flow run, per policy or by status, read with their
attempts, and replayed when they failed."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from actors.notifications import replay_deliveries
from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models
from models.notifications.history import filter_deliveries, read_delivery_history
from models.schemas.deliveries import DeliveryFilterBody, DeliveryResponse

routes = web.RouteTableDef()

TAG = "Notification deliveries"


async def list_deliveries(
    request: web.Request, body: DeliveryFilterBody, **of: UUID
) -> web.Response:
    """The answer to a listing; `of` is the flow run or policy named in the path."""
    async with request.app[keys.database].read_sessions() as session:
        deliveries = await filter_deliveries(session, body, **of)
    responses = [DeliveryResponse.from_row(row, attempts) for row, attempts in deliveries]
    return json_models(responses, DeliveryResponse)


@routes.post("/api/notification_deliveries/filter")
@documented("Deliveries by flow run, policy, status or channel, newest first.", tag=TAG,
            body=DeliveryFilterBody, response=DeliveryResponse, response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    return await list_deliveries(request, await read_body(request, DeliveryFilterBody))


@routes.get(f"/api/flow_runs/{ID}/notification_deliveries")
@documented("The deliveries of one flow run, with their attempts.", tag=TAG,
            response=DeliveryResponse, response_is_list=True)  # fmt: skip
async def deliveries_of_flow_run(request: web.Request) -> web.Response:
    body = DeliveryFilterBody(include_attempts=True)
    return await list_deliveries(request, body, flow_run_id=path_uuid(request))


@routes.get(f"/api/flow_run_notification_policies/{ID}/notification_deliveries")
@documented("The deliveries of one notification policy, with their attempts.", tag=TAG,
            response=DeliveryResponse, response_is_list=True)  # fmt: skip
async def deliveries_of_policy(request: web.Request) -> web.Response:
    body = DeliveryFilterBody(include_attempts=True)
    return await list_deliveries(request, body, policy_id=path_uuid(request))


@routes.get(f"/api/notification_deliveries/{ID}")
@documented("One delivery with every attempt.", tag=TAG, response=DeliveryResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        delivery, attempts = await read_delivery_history(session, path_uuid(request))
    return json_model(DeliveryResponse.from_row(delivery, attempts))


@routes.post(f"/api/notification_deliveries/{ID}/replay")
@documented("Send a failed or dead delivery again (202); 422 for any other.", tag=TAG,
            response=DeliveryResponse, status=202)  # fmt: skip
async def replay(request: web.Request) -> web.Response:
    [delivery] = await replay_deliveries(request.app[keys.database], path_uuid(request))
    return json_model(DeliveryResponse.from_row(delivery), status=202)
