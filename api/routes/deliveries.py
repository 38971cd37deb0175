"""Notification deliveries: listed per flow run, per policy or by status, read with their
attempts, and replayed when they failed."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from actors.notifications import queue_deliveries
from api import keys
from api.openapi import documented
from api.requests import path_uuid, read_body
from api.responses import json_model, json_models
from models.notifications.history import read_attempts, read_deliveries, read_delivery
from models.notifications.replay import reopen_delivery
from models.schemas.deliveries import DeliveryFilterBody, DeliveryResponse

routes = web.RouteTableDef()

TAG = "Notification deliveries"


async def list_deliveries(
    request: web.Request, body: DeliveryFilterBody, **criteria: UUID
) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        deliveries = await read_deliveries(
            session,
            flow_run_id=criteria.get("flow_run_id", body.flow_run_id),
            policy_id=criteria.get("policy_id", body.policy_id),
            statuses=body.statuses,
            channels=[channel.value for channel in body.channels or []],
            limit=body.limit,
            offset=body.offset,
        )
        attempts = (
            await read_attempts(session, [delivery.id for delivery in deliveries])
            if body.include_attempts
            else {}
        )
    responses = [DeliveryResponse.from_row(row, attempts.get(row.id)) for row in deliveries]
    return json_models(responses, DeliveryResponse)


@routes.post("/api/notification_deliveries/filter")
@documented("Deliveries by flow run, policy, status or channel, newest first.", tag=TAG,
            body=DeliveryFilterBody, response=DeliveryResponse, response_is_list=True)  # fmt: skip
async def filter_deliveries(request: web.Request) -> web.Response:
    return await list_deliveries(request, await read_body(request, DeliveryFilterBody))


@routes.get("/api/flow_runs/{id}/notification_deliveries")
@documented("The deliveries of one flow run, with their attempts.", tag=TAG,
            response=DeliveryResponse, response_is_list=True)  # fmt: skip
async def deliveries_of_flow_run(request: web.Request) -> web.Response:
    body = DeliveryFilterBody(include_attempts=True)
    return await list_deliveries(request, body, flow_run_id=path_uuid(request))


@routes.get("/api/flow_run_notification_policies/{id}/notification_deliveries")
@documented("The deliveries of one notification policy, with their attempts.", tag=TAG,
            response=DeliveryResponse, response_is_list=True)  # fmt: skip
async def deliveries_of_policy(request: web.Request) -> web.Response:
    body = DeliveryFilterBody(include_attempts=True)
    return await list_deliveries(request, body, policy_id=path_uuid(request))


@routes.get("/api/notification_deliveries/{id}")
@documented("One delivery with every attempt.", tag=TAG, response=DeliveryResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        delivery = await read_delivery(session, path_uuid(request))
        attempts = await read_attempts(session, [delivery.id])
    return json_model(DeliveryResponse.from_row(delivery, attempts[delivery.id]))


@routes.post("/api/notification_deliveries/{id}/replay")
@documented("Send a failed or dead delivery again (202); 422 for any other.", tag=TAG,
            response=DeliveryResponse, status=202)  # fmt: skip
async def replay(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        queued = await reopen_delivery(session, path_uuid(request))
        delivery = await read_delivery(session, queued.id)
        response = DeliveryResponse.from_row(delivery)
    await queue_deliveries([queued])
    return json_model(response, status=202)
