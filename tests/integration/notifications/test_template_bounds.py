"""Message templates: widths and precisions are bounded when saved and when rendered."""

from __future__ import annotations

from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from models.db.database import Database
from models.notifications.policies import NotificationPolicy
from models.notifications.templates import MAX_FIELD_WIDTH
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.scenario import create_policy, fail_flow_run
from tests.integration.notifications.test_policies_api import slack_block
from tests.running import Drain

POLICIES = "/api/flow_run_notification_policies/"
HUGE_TEMPLATES = ["{flow_name:>5000000}", f"{{flow_name:>{2**62}}}", "{flow_run_name:.1001}"]


@pytest.mark.parametrize("template", HUGE_TEMPLATES)
async def test_a_template_asking_for_a_huge_field_is_a_422_when_created_or_changed(
    api: TestClient, receiver: Receiver, template: str
) -> None:
    block = await slack_block(api, receiver)
    body = {"state_names": [], "tags": [], "block_document_id": block}
    created = await api.post(POLICIES, json=body | {"message_template": template})
    assert created.status == 422
    assert f"over {MAX_FIELD_WIDTH} characters" in str((await created.json())["detail"])

    policy_id = await create_policy(api, block, message_template="{flow_name:>20}")
    changed = await api.patch(f"{POLICIES}{policy_id}", json={"message_template": template})
    assert changed.status == 422
    kept = await (await api.get(f"{POLICIES}{policy_id}")).json()
    assert kept["message_template"] == "{flow_name:>20}"


async def test_a_huge_template_saved_before_the_check_renders_bounded(
    api: TestClient, receiver: Receiver, drain: Drain, database: Database
) -> None:
    policy_id = await create_policy(api, await slack_block(api, receiver))
    async with database.sessions.begin() as session:  # as an older Signalbox saved it
        await session.execute(
            update(NotificationPolicy)
            .where(NotificationPolicy.id == UUID(policy_id))
            .values(message_template=HUGE_TEMPLATES[1])
        )
    await fail_flow_run(api)
    await drain()

    [request] = receiver.requests_to("/services/")
    section = request.json()["blocks"][1]["text"]["text"]
    assert section == "etl-nightly".rjust(MAX_FIELD_WIDTH)
