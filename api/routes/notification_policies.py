"""Notification policies (Prefect 2's `flow_run_notification_policies`): create, read, change,
delete, list, and send a test message. A template with an unknown placeholder is refused
with 422."""

from __future__ import annotations

from aiohttp import web

from actors.notifications import queue_deliveries
from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, no_content
from models.notifications.channels import ChannelName
from models.notifications.evaluation import QueuedDelivery
from models.notifications.policies import (
    create_notification_policy,
    delete_notification_policy,
    filter_notification_policies,
    read_notification_policy,
    update_notification_policy,
)
from models.notifications.sample_deliveries import create_test_delivery
from models.schemas.deliveries import DeliveryResponse
from models.schemas.notification_policies import (
    NotificationPolicyCreate,
    NotificationPolicyFilterBody,
    NotificationPolicyResponse,
    NotificationPolicyUpdate,
)

routes = web.RouteTableDef()

TAG = "Notification policies"


@routes.post("/api/flow_run_notification_policies/")
@documented("Create a notification policy on a notification block document.", tag=TAG,
            body=NotificationPolicyCreate, response=NotificationPolicyResponse,
            status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, NotificationPolicyCreate)
    async with request.app[keys.database].sessions.begin() as session:
        policy = await create_notification_policy(session, body.model_dump())
    return json_model(NotificationPolicyResponse.model_validate(policy), status=201)


@routes.post("/api/flow_run_notification_policies/filter")
@documented("Notification policies matching a filter, oldest first.", tag=TAG,
            body=NotificationPolicyFilterBody, response=NotificationPolicyResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, NotificationPolicyFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        policies = await filter_notification_policies(session, body)
    responses = [NotificationPolicyResponse.model_validate(policy) for policy in policies]
    return json_models(responses, NotificationPolicyResponse)


@routes.get(f"/api/flow_run_notification_policies/{ID}")
@documented("A notification policy by id.", tag=TAG, response=NotificationPolicyResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        policy = await read_notification_policy(session, path_uuid(request))
    return json_model(NotificationPolicyResponse.model_validate(policy))


@routes.patch(f"/api/flow_run_notification_policies/{ID}")
@documented("Change the fields sent; a null template goes back to the default.", tag=TAG,
            body=NotificationPolicyUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, NotificationPolicyUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_notification_policy(session, path_uuid(request), changes)
    return no_content()


@routes.delete(f"/api/flow_run_notification_policies/{ID}")
@documented("Delete a notification policy (its deliveries are kept).", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_notification_policy(session, path_uuid(request))
    return no_content()


@routes.post(f"/api/flow_run_notification_policies/{ID}/test")
@documented("Send the policy's message, rendered for a sample failed flow run, through its "
            "channel as a test delivery (paused policies too); 422 when its block is gone.",
            tag=TAG, response=DeliveryResponse, status=201)  # fmt: skip
async def send_test(request: web.Request) -> web.Response:
    settings = request.app[keys.settings]
    async with request.app[keys.database].sessions.begin() as session:
        delivery = await create_test_delivery(session, path_uuid(request), settings.ui_url)
    # Queued once committed, as every delivery: the channel actor must find it pending.
    await queue_deliveries([QueuedDelivery(delivery.id, ChannelName(delivery.channel))])
    return json_model(DeliveryResponse.from_row(delivery), status=201)
