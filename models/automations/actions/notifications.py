"""send-notification and call-webhook: one delivery per (firing, action), sent by the
channel's own worker pool like every notification (retries honouring Retry-After, dead
letters, replay, every attempt recorded).

The action succeeds once its delivery is stored and queued; whether the receiver took it is
the delivery's own record (`signalbox notifications deliveries`). A delivery's id is its
action run's id, so performing the action twice stores and sends one delivery.

A notification policy kept as an automation renders its message exactly as before
automations, with the policy's `str.format` template, and keeps its delivery id of
(policy, state): the triggering event of a policy automation is a flow-run state event, whose
id is the state's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import select

from models.automations.actions.invocation import ActionFailed, Performed
from models.automations.actions.targets import first_id_of_kind
from models.automations.template_context import template_context
from models.automations.templates import TemplateFailure, render_template
from models.blocks.tables import BlockDocument, BlockType
from models.db.types import utcnow
from models.notifications.channels import ChannelName, channel_for_block_type
from models.notifications.evaluation import delivery_row, insert_deliveries
from models.notifications.outcomes import DeliveryStatus
from models.notifications.policies import NotificationPolicy
from models.notifications.templates import flow_run_url
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.automations.actions.invocation import Invocation
    from models.db.database import Database

#: The subject of a send-notification that names none (Prefect's default).
DEFAULT_SUBJECT: Final = "Prefect automated notification"
#: The slug of Prefect's webhook block, the one a call-webhook action names.
WEBHOOK_BLOCK_TYPE: Final = "webhook"
#: The key of a delivery's details carrying a call-webhook's rendered payload: the webhook
#: channel sends it as the request's body instead of building one.
WEBHOOK_PAYLOAD_DETAIL: Final = "call_webhook_payload"


async def read_block(session: AsyncSession, block_document_id: UUID) -> tuple[str, str]:
    """The block document's name and its block type's slug; ActionFailed when it is gone."""
    found = (
        await session.execute(
            select(BlockDocument.name, BlockType.slug)
            .join(BlockType, BlockType.id == BlockDocument.block_type_id)
            .where(BlockDocument.id == block_document_id)
        )
    ).first()
    if found is None:
        raise ActionFailed(f"Block document {block_document_id} not found")
    return str(found.name), str(found.slug)


def block_related(block_document_id: UUID, name: str, slug: str) -> list[dict[str, str]]:
    return [
        {
            "prefect.resource.id": f"prefect.block-document.{block_document_id}",
            "prefect.resource.role": "block",
            "prefect.resource.name": name,
        },
        {
            "prefect.resource.id": f"prefect.block-type.{slug}",
            "prefect.resource.role": "block-type",
        },
    ]


def block_document_id_of(invocation: Invocation) -> UUID:
    try:
        return UUID(str(invocation.action.get("block_document_id")))
    except ValueError:
        raise ActionFailed("block_document_id is not a UUID") from None


def flow_run_details(invocation: Invocation) -> dict[str, Any]:
    """What channels show of the flow run the event is about (its state, its link)."""
    event = invocation.triggering_event or {}
    flow_run_id = first_id_of_kind(event, "flow-run")
    if flow_run_id is None:
        return {}
    resource = event.get("resource") or {}
    return {
        "flow_run_id": str(flow_run_id),
        "flow_run_name": resource.get("prefect.resource.name", ""),
        "flow_run_state_type": resource.get("prefect.state-type", ""),
        "flow_run_state_name": resource.get("prefect.state-name", ""),
        "flow_run_state_message": resource.get("prefect.state-message", ""),
        "flow_run_state_timestamp": resource.get("prefect.state-timestamp", ""),
        "flow_run_url": flow_run_url(invocation.ui_url, flow_run_id),
    }


def automation_delivery(
    invocation: Invocation,
    *,
    block_document_id: UUID,
    channel: ChannelName,
    subject: str,
    body: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The pending delivery of one action of one firing."""
    now = utcnow()
    flow_run_id = details.get("flow_run_id")
    return {
        "id": invocation.run_id,
        "created": now,
        "updated": now,
        "policy_id": None,
        "block_document_id": block_document_id,
        "channel": channel.value,
        "flow_run_id": UUID(flow_run_id) if flow_run_id else None,
        "flow_run_state_id": None,
        "automation_id": invocation.automation.id,
        "firing_id": invocation.firing.id,
        "status": DeliveryStatus.PENDING.value,
        "subject": subject,
        "body": body,
        "attempt_count": 0,
        "details": details,
    }


async def render(session: AsyncSession, invocation: Invocation, texts: list[str]) -> list[str]:
    context = await template_context(session, invocation, texts)
    try:
        return [
            render_template(text, context, max_bytes=invocation.template_max_bytes)
            for text in texts
        ]
    except TemplateFailure as failure:
        raise ActionFailed(f"Template rendering failed: {failure}") from None


async def policy_delivery(
    session: AsyncSession, invocation: Invocation
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The delivery of a notification policy kept as an automation, rendered as the policy
    always rendered it, and the block its action's events name."""
    policy = await session.get(NotificationPolicy, invocation.automation.notification_policy_id)
    if policy is None:
        raise ActionFailed("The notification policy was deleted")
    name, slug = await read_block(session, policy.block_document_id)
    channel = channel_for_block_type(slug)
    if channel is None:
        raise ActionFailed("The referenced block was not a notification block")
    event = invocation.triggering_event or {}
    try:
        state_id = UUID(str(event.get("id")))
    except ValueError:
        raise ActionFailed("The triggering event is not a flow-run state") from None
    state = await session.get(FlowRunState, state_id)
    flow_run = await session.get(FlowRun, state.flow_run_id) if state is not None else None
    if state is None or flow_run is None:
        raise ActionFailed(f"Flow-run state {state_id} not found")
    flow_name = await session.scalar(select(Flow.name).where(Flow.id == flow_run.flow_id))
    row = delivery_row(policy, channel, flow_name or "", flow_run, state, invocation.ui_url)
    related = block_related(policy.block_document_id, name, slug)
    return {
        **row,
        "automation_id": invocation.automation.id,
        "firing_id": invocation.firing.id,
    }, related


async def send_notification(database: Database, invocation: Invocation) -> Performed:
    """send-notification: the rendered subject and body, to the block's channel."""
    async with database.read_sessions() as session:
        if invocation.automation.notification_policy_id is not None:
            row, related = await policy_delivery(session, invocation)
        else:
            block_document_id = block_document_id_of(invocation)
            name, slug = await read_block(session, block_document_id)
            channel = channel_for_block_type(slug)
            if channel is None:
                raise ActionFailed("The referenced block was not a notification block")
            action = invocation.action
            subject, body = await render(
                session,
                invocation,
                [str(action.get("subject") or DEFAULT_SUBJECT), str(action.get("body") or "")],
            )
            row = automation_delivery(
                invocation,
                block_document_id=block_document_id,
                channel=channel,
                subject=subject,
                body=body,
                details=flow_run_details(invocation),
            )
            related = block_related(block_document_id, name, slug)
    return await queue_delivery(database, row, related)


async def call_webhook(database: Database, invocation: Invocation) -> Performed:
    """call-webhook: the rendered payload, to the webhook block's URL with its method and
    headers, through the webhook channel (so it is retried and recorded as a delivery)."""
    block_document_id = block_document_id_of(invocation)
    async with database.read_sessions() as session:
        name, slug = await read_block(session, block_document_id)
        if slug != WEBHOOK_BLOCK_TYPE:
            raise ActionFailed("The referenced block was not a webhook block")
        payload = invocation.action.get("payload") or ""
        if not isinstance(payload, str):  # older clients send a JSON object
            payload = json.dumps(payload, indent=2)
        (rendered,) = await render(session, invocation, [payload])
    row = automation_delivery(
        invocation,
        block_document_id=block_document_id,
        channel=ChannelName.WEBHOOK,
        subject="",
        body=rendered,
        details={**flow_run_details(invocation), WEBHOOK_PAYLOAD_DETAIL: rendered},
    )
    return await queue_delivery(database, row, block_related(block_document_id, name, slug))


async def queue_delivery(
    database: Database, row: dict[str, Any], related: list[dict[str, str]]
) -> Performed:
    """Store the delivery (once) and hand it over to be queued after the commit."""
    async with database.sessions.begin() as session:
        queued = await insert_deliveries(session, [row])
    return Performed(details={"delivery_id": str(row["id"])}, related=related, deliveries=queued)
