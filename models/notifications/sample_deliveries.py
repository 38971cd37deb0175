"""A notification policy's test delivery: its message rendered for a sample flow run.

An operator checks that a policy's channel works without waiting for a run to fail. The test
is an ordinary delivery on the policy's channel (retried, recorded attempt by attempt, given
up as a dead letter, replayable) that belongs to no flow run and no state: its flow-run and
state ids stay empty and its details say `test`, so nothing counts it as a state a run entered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from models.db.types import utcnow
from models.errors import InvalidRequest
from models.notifications.deliveries import TEST_DETAIL, Delivery
from models.notifications.evaluation import insert_deliveries, render_for_policy
from models.notifications.history import read_delivery
from models.notifications.outcomes import DeliveryStatus
from models.notifications.policies import read_notification_blocks, read_notification_policy
from models.notifications.templates import template_values
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The sample flow run a test message is rendered for.
SAMPLE_FLOW_NAME: Final = "signalbox-test"
SAMPLE_FLOW_RUN_NAME: Final = "test-notification"
#: The ids of a flow and flow run that do not exist (the nil UUID): there is none to name.
SAMPLE_ID: Final = UUID(int=0)
SAMPLE_STATE_MESSAGE: Final = "A test notification: no flow run entered this state."
#: Put before the subject and the body, so the receiver can tell a test from a failure.
TEST_SUBJECT_PREFIX: Final = "[Test] "
TEST_BODY_HEADER: Final = (
    "This is a test of notification policy {policy_id}, sent from the Signalbox UI or API. "
    "No flow run entered this state.\n\n"
)


def notifications_url(ui_url: str) -> str:
    """The page a test message links to: the notification policies, not a flow run."""
    return f"{ui_url.rstrip('/')}/notifications"


async def create_test_delivery(session: AsyncSession, policy_id: UUID, ui_url: str) -> Delivery:
    """Store a pending test delivery of the policy (active or paused), its message rendered
    for a sample failed flow run; returns it, to be queued once committed.

    Raises ObjectNotFound for an unknown policy, InvalidRequest when its block document is
    gone or cannot notify.
    """
    policy = await read_notification_policy(session, policy_id)
    blocks = await read_notification_blocks(session, [policy.block_document_id])
    if not blocks:
        raise InvalidRequest(
            f"Notification policy {policy_id} sends through block document "
            f"{policy.block_document_id}, which is gone or is not a notification block"
        )
    values = template_values(
        policy_id=policy.id,
        flow_id=SAMPLE_ID,
        flow_name=SAMPLE_FLOW_NAME,
        flow_run_id=SAMPLE_ID,
        flow_run_name=SAMPLE_FLOW_RUN_NAME,
        parameters={},
        state_type=StateType.FAILED.value,
        state_name="Failed",
        state_timestamp=utcnow(),
        state_message=SAMPLE_STATE_MESSAGE,
        ui_url=ui_url,
    )
    values["flow_run_url"] = notifications_url(ui_url)
    subject, body = render_for_policy(policy, values)
    now = utcnow()
    row: dict[str, Any] = {
        "id": uuid4(),  # a test may be sent again and again: each is a delivery of its own
        "created": now,
        "updated": now,
        "policy_id": policy.id,
        "block_document_id": policy.block_document_id,
        "channel": blocks[0].channel.value,
        "flow_run_id": None,
        "flow_run_state_id": None,
        "status": DeliveryStatus.PENDING.value,
        "subject": TEST_SUBJECT_PREFIX + subject,
        "body": TEST_BODY_HEADER.format(policy_id=policy.id) + body,
        "attempt_count": 0,
        "details": {**values, TEST_DETAIL: True},
    }
    await insert_deliveries(session, [row])
    return await read_delivery(session, row["id"])
