"""The unmodified Prefect 3.9.1 client saves blocks on Signalbox, and a flow it runs that
fails sets off exactly the notification policies that match, within a second."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.compat.prefect_client import prefect_python, run_flow_script
from tests.integration.notifications import fixtures
from tests.integration.notifications.receiver import Receiver
from tests.unit.test_block_checksums import PREFECT_CHECKSUMS

FLOWS = Path(__file__).parent / "flows"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]

# The notification tests' fixtures, defined once there: Slack's stand-in on 127.0.0.1, settings
# pointing at it, and in-process workers on the core and channel queues.
receiver = fixtures.receiver
settings = fixtures.settings
workers = fixtures.workers


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    return prefect_python()


async def call(api_url: str, method: str, path: str, body: Any = None) -> Any:
    async with ClientSession() as http, http.request(method, api_url + path, json=body) as answer:
        assert answer.status < 300, await answer.text()
        return await answer.json() if answer.status != 204 else None


async def test_the_client_saves_loads_and_overwrites_blocks_and_finds_the_slack_type(
    live_api_url: str, receiver: Receiver
) -> None:
    url = f"{receiver.url}/services/T000/B000/CLIENTSAVED00000"
    completed = await asyncio.to_thread(
        run_flow_script, FLOWS / "save_blocks.py", live_api_url, args=[url]
    )
    assert completed.returncode == 0, completed.describe()
    assert completed.result == {
        "secret": "s3cr3t",
        "first": {"value": {"k": [1, 2]}, "token": "tok"},
        "second": {"value": {"k": 3}, "token": None},
        "generic": "s3cr3t",
        "slack_id": completed.result["slack_id"],
        "slack_url": url,
    }
    document = await call(live_api_url, "GET", f"/block_documents/{completed.result['slack_id']}")
    assert document["data"] == {
        "url": "********",
        "notify_type": "info",
        "allow_private_urls": True,
    }
    # The client found the type and schema Signalbox registered instead of adding its own.
    assert document["block_schema"]["checksum"] == PREFECT_CHECKSUMS["slack-webhook"]
    assert not document["block_type"]["is_protected"]  # as on Prefect's server


async def test_a_failing_flow_notifies_the_matching_policy_once_within_a_second(
    live_api_url: str, receiver: Receiver
) -> None:
    async def slack_block(name: str, path: str) -> str:
        block_type = await call(live_api_url, "GET", "/block_types/slug/slack-webhook")
        schemas = {"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}
        [schema] = await call(live_api_url, "POST", "/block_schemas/filter", schemas)
        document = await call(live_api_url, "POST", "/block_documents/", {
            "name": name, "data": {"url": f"{receiver.url}{path}"},
            "block_schema_id": schema["id"], "block_type_id": block_type["id"]})  # fmt: skip
        return str(document["id"])

    template = "{flow_name} run {flow_run_name} is {flow_run_state_name}: {flow_run_state_message}"
    await call(live_api_url, "POST", "/flow_run_notification_policies/", {
        "state_names": ["Failed"], "tags": [], "message_template": template,
        "block_document_id": await slack_block("ops", "/services/T/B/OPS")})  # fmt: skip
    await call(live_api_url, "POST", "/flow_run_notification_policies/", {
        "state_names": ["Failed"], "tags": ["other-team"],
        "block_document_id": await slack_block("other", "/services/T/B/OTHER")})  # fmt: skip

    completed = await asyncio.to_thread(run_flow_script, FLOWS / "flow_fails.py", live_api_url)
    assert completed.result["raised"] == "ValueError", completed.describe()
    flow_run = await call(live_api_url, "GET", f"/flow_runs/{completed.result['flow_run_id']}")
    assert flow_run["state_type"] == "FAILED"

    deadline = time.monotonic() + 10
    while not receiver.requests_to("/services/T/B/OPS") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # polling interval, bounded by the deadline
    [message] = receiver.requests_to("/services/T/B/OPS")
    failed_at = datetime.fromisoformat(flow_run["state"]["timestamp"]).timestamp()
    assert message.wall - failed_at < 1.0
    section = message.json()["blocks"][1]["text"]["text"]
    assert section == (
        f"compat-flow-fails run {flow_run['name']} is Failed: {flow_run['state']['message']}"
    )
    assert receiver.requests_to("/services/T/B/OTHER") == []
    deliveries = await call(
        live_api_url, "GET", f"/flow_runs/{flow_run['id']}/notification_deliveries"
    )
    assert [(row["channel"], row["status"]) for row in deliveries] == [("slack", "delivered")]
