"""The automation a Prefect 2 notification policy is kept as, so one evaluator decides every
notification.

A policy notifies when a flow run with one of its tags (none: any run) enters one of its
states (none: any state). As a trigger: a reactive event trigger on the server's
`prefect.flow-run.*` state events, its state names matched on the `prefect.state-name`
label (`*` when there are none: every state event has one, a heartbeat has none), its tags
on the run's related `tag` resources, threshold 1 and no window. Its one action is a
`send-notification` to the policy's block, which the action runner renders with the
policy's own template. The automation's ids derive from the policy's, and it is removed
with the policy (ON DELETE CASCADE); migration 0015 converted the policies stored before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from models.automations.tables import Automation
from models.db.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.notifications.policies import NotificationPolicy

#: The namespace of the ids derived from a policy's (migration 0015 uses the same).
POLICY_AUTOMATION_IDS: Final = UUID("0c6f1f4e-2d7b-4f8e-9a51-3e8d2b7c4a90")


def policy_automation_id(policy_id: UUID) -> UUID:
    return uuid5(POLICY_AUTOMATION_IDS, f"automation/{policy_id}")


def policy_trigger(policy_id: UUID, state_names: list[str], tags: list[str]) -> dict[str, Any]:
    """The reactive event trigger that matches what the policy notifies of."""
    match_related: dict[str, Any] = {}
    if tags:
        match_related = {
            "prefect.resource.role": "tag",
            "prefect.resource.id": [f"prefect.tag.{tag}" for tag in tags],
        }
    return {
        "type": "event",
        "id": str(uuid5(POLICY_AUTOMATION_IDS, f"trigger/{policy_id}")),
        "posture": "Reactive",
        "expect": ["prefect.flow-run.*"],
        "after": [],
        "match": {
            "prefect.resource.id": "prefect.flow-run.*",
            "prefect.state-name": list(state_names) or "*",
        },
        "match_related": match_related,
        "for_each": [],
        "threshold": 1,
        "within": 0,
    }


def policy_actions(block_document_id: UUID, message_template: str | None) -> list[dict[str, Any]]:
    """One notification to the policy's block (its message is rendered from the policy)."""
    return [
        {
            "type": "send-notification",
            "block_document_id": str(block_document_id),
            "subject": "Prefect flow run notification",
            "body": message_template or "",
        }
    ]


def policy_automation_values(policy: NotificationPolicy) -> dict[str, Any]:
    """The columns of the policy's automation (all but `id` and `created`)."""
    return {
        "updated": utcnow(),
        "name": f"Notification policy {policy.id}",
        "description": "",
        "enabled": policy.is_active,
        "tags": [],
        "trigger": policy_trigger(policy.id, list(policy.state_names), list(policy.tags)),
        "actions": policy_actions(policy.block_document_id, policy.message_template),
        "actions_on_trigger": [],
        "actions_on_resolve": [],
        "notification_policy_id": policy.id,
    }


async def keep_policy_automation(session: AsyncSession, policy: NotificationPolicy) -> None:
    """Create or update the policy's automation to match the policy as it now is."""
    automation_id = policy_automation_id(policy.id)
    values = policy_automation_values(policy)
    automation = await session.get(Automation, automation_id)
    if automation is None:
        session.add(Automation(id=automation_id, created=values["updated"], **values))
    else:
        for column, value in values.items():
            setattr(automation, column, value)
    await session.flush()
