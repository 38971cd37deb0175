"""`/notifications`: the notification policies, the deliveries they made, and the form that
creates or edits a policy.

Reads go through the functions the policy and delivery routes call; creating, changing,
pausing and deleting a policy are the policy API's own routes, called from the page. A
policy is shown by the block document it sends through: its name and channel.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import path_uuid
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.errors import InvalidRequest
from models.notifications.channels import ChannelName
from models.notifications.history import filter_deliveries
from models.notifications.policies import (
    filter_notification_policies,
    read_notification_blocks,
    read_notification_policy,
)
from models.notifications.templates import DEFAULT_MESSAGE_TEMPLATE
from models.schemas.deliveries import DeliveryFilterBody
from models.schemas.notification_policies import (
    NotificationPolicyFilterBody,
    NotificationPolicyResponse,
)
from models.states import StateType

routes = web.RouteTableDef()

#: Policies listed at the most (a server has a handful; the API pages at 200 too).
MAX_POLICIES: Final = 200
DELIVERY_STATUSES: Final = ("pending", "delivered", "failed", "dead")
#: The state names a policy's form offers: every state type's, and the names that refine
#: them which people ask to be told of.
STATE_NAMES: Final = (
    *(state_type.value.title() for state_type in StateType),
    "Late",
    "AwaitingRetry",
    "Retrying",
    "TimedOut",
)
#: Seconds between refreshes of the deliveries, which no event announces.
POLL_SECONDS: Final = 5


def delivery_filters(request: web.Request) -> dict[str, Any]:
    """The deliveries' filters from the query: status, channel, policy (unknown ones: 400)."""
    status = request.query.get("status") or None
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidRequest(f"status: one of {', '.join(DELIVERY_STATUSES)}")
    channel = request.query.get("channel") or None
    if channel is not None and channel not in set(ChannelName):
        raise InvalidRequest(f"channel: one of {', '.join(ChannelName)}")
    policy = request.query.get("policy") or None
    try:
        policy_id = UUID(policy) if policy else None
    except ValueError:
        raise InvalidRequest("policy: a notification policy's id") from None
    return {"status": status, "channel": channel, "policy": policy_id}


@routes.get("/notifications", name="notifications")
@aiohttp_jinja2.template("notifications.html")
async def notifications_page(request: web.Request) -> dict[str, Any]:
    filters = delivery_filters(request)
    number = requested_page(request)
    deliveries_body = DeliveryFilterBody(
        statuses=[filters["status"]] if filters["status"] else None,
        channels=[ChannelName(filters["channel"])] if filters["channel"] else None,
        policy_id=filters["policy"],
        limit=PAGE_SIZE + 1,
        offset=page_offset(number),
    )
    async with request.app[keys.database].read_sessions() as session:
        policies = await filter_notification_policies(
            session, NotificationPolicyFilterBody(limit=MAX_POLICIES)
        )
        deliveries = await filter_deliveries(session, deliveries_body)
        block_ids = {policy.block_document_id for policy in policies} | {
            row.block_document_id for row, _ in deliveries if row.block_document_id
        }
        blocks = await read_notification_blocks(session, list(block_ids))
    return {
        "policies": [NotificationPolicyResponse.model_validate(policy) for policy in policies],
        "blocks": {block.id: block for block in blocks},
        "page": Page.of([row for row, _ in deliveries], number),
        "filters": filters,
        "statuses": DELIVERY_STATUSES,
        "channels": [channel.value for channel in ChannelName],
        "live_poll": POLL_SECONDS,
    }


async def policy_form(
    request: web.Request, policy: NotificationPolicyResponse | None
) -> dict[str, Any]:
    async with request.app[keys.database].read_sessions() as session:
        blocks = await read_notification_blocks(session)
    return {
        "policy": policy,
        "blocks": blocks,
        "state_names": STATE_NAMES,
        "default_template": DEFAULT_MESSAGE_TEMPLATE,
    }


@routes.get("/notifications/create")
@aiohttp_jinja2.template("notification_policy_form.html")
async def create_page(request: web.Request) -> dict[str, Any]:
    return await policy_form(request, None)


@routes.get("/notifications/edit/{id}")
@aiohttp_jinja2.template("notification_policy_form.html")
async def edit_page(request: web.Request) -> dict[str, Any]:
    async with request.app[keys.database].read_sessions() as session:
        policy = await read_notification_policy(session, path_uuid(request))
    return await policy_form(request, NotificationPolicyResponse.model_validate(policy))
