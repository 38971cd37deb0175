"""Webhook safety: only http(s) URLs are stored; a block refusing private addresses sends
nothing to one (not even through a name that resolves to one); the server can refuse them
for every block; receivers' answers are kept short, and only for failed attempts."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from actors.channels.http import ChannelRequest, open_http_session, send
from models.blocks.tables import BlockDocument
from models.db.database import Database
from models.messages.dead_letters import DeadLetter
from models.settings import Settings
from tests.integration.notifications.receiver import Receiver, Reply
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    deliveries_of,
    fail_flow_run,
)
from tests.running import Drain


class RebindingResolver(AbstractResolver):
    """Answers the loopback address for every name: a public name rebound to this machine."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


async def block_document_count(database: Database) -> int:
    async with database.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(BlockDocument)) or 0)


async def block_payload(api: TestClient, slug: str, data: dict[str, Any]) -> dict[str, Any]:
    block_type = await (await api.get(f"/api/block_types/slug/{slug}")).json()
    response = await api.post(
        "/api/block_schemas/filter",
        json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}},
    )
    [schema, *_] = await response.json()
    return {
        "name": f"{slug}-bad",
        "data": data,
        "block_schema_id": schema["id"],
        "block_type_id": block_type["id"],
    }


@pytest.mark.parametrize(
    ("slug", "url"),
    [
        ("custom-webhook", "file:///etc/passwd"),
        ("slack-webhook", "gopher://127.0.0.1:6379/_FLUSHALL"),
        ("webhook", "ftp://example.com/hook"),
    ],
)
async def test_a_sending_block_with_a_url_that_is_not_http_is_a_422_and_nothing_is_stored(
    slug: str, url: str, api: TestClient, database: Database
) -> None:
    before = await block_document_count(database)
    response = await api.post(
        "/api/block_documents/", json=await block_payload(api, slug, {"name": "x", "url": url})
    )

    assert response.status == 422
    assert "http or https" in (await response.json())["detail"]
    assert await block_document_count(database) == before


async def test_changing_a_webhook_to_a_file_url_is_a_422_and_keeps_the_stored_url(
    api: TestClient, receiver: Receiver
) -> None:
    block_id = await create_block(
        api, "custom-webhook", {"name": "h", "url": f"{receiver.url}/custom"}
    )
    response = await api.patch(
        f"/api/block_documents/{block_id}", json={"data": {"url": "file:///etc/shadow"}}
    )

    assert response.status == 422
    assert "detail" in await response.json()
    stored = await api.get(f"/api/block_documents/{block_id}", params={"include_secrets": "true"})
    assert (await stored.json())["data"]["url"] == f"{receiver.url}/custom"


async def test_a_webhook_refusing_private_urls_sends_nothing_to_a_loopback_receiver(
    api: TestClient, receiver: Receiver, drain: Drain, database: Database
) -> None:
    block_id = await create_block(
        api,
        "custom-webhook",
        {"name": "h", "url": f"{receiver.url}/custom", "allow_private_urls": False},
    )
    await create_policy(api, block_id)
    flow_run_id = await fail_flow_run(api)
    await drain()

    assert receiver.requests_to("/custom") == []
    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["status"] == "failed"
    [attempt] = delivery["attempts"]
    assert attempt["error_class"] == "RefusedDestination"
    assert "127.0.0.1 is a loopback address" in delivery["last_error"]
    async with database.read_sessions() as session:
        [letter] = list(await session.scalars(select(DeadLetter)))
    assert letter.message["args"] == [delivery["id"]]
    assert "loopback" in letter.reason


async def test_a_webhook_allowing_private_urls_by_default_reaches_the_loopback_receiver(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    block_id = await create_block(
        api, "custom-webhook", {"name": "h", "url": f"{receiver.url}/custom"}
    )
    await create_policy(api, block_id)
    flow_run_id = await fail_flow_run(api)
    await drain()

    assert len(receiver.requests_to("/custom")) == 1
    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["status"] == "delivered"


async def test_a_name_rebound_to_a_private_address_is_refused_at_connection_time(
    receiver: Receiver,
) -> None:
    request = ChannelRequest("POST", f"http://hooks.example.com:{receiver.port}/custom", body=b"{}")
    # The same resolver without the check reaches the receiver: the name does rebind.
    async with open_http_session(resolver=RebindingResolver()) as http:
        reached = await send(request, http)
    assert reached.status == 200
    assert len(receiver.requests_to("/custom")) == 1

    async with open_http_session(public_only=True, resolver=RebindingResolver()) as http:
        refused = await send(request, http, public_only=True)

    assert refused.status is None
    assert refused.error_class == "RefusedDestination"
    assert "127.0.0.1 is a loopback address" in refused.body
    assert len(receiver.requests_to("/custom")) == 1  # nothing more arrived


async def test_a_private_ip_literal_is_refused_before_any_connection(receiver: Receiver) -> None:
    request = ChannelRequest("POST", f"http://[::ffff:127.0.0.1]:{receiver.port}/custom")
    async with open_http_session(public_only=True) as http:
        refused = await send(request, http, public_only=True)

    assert refused.error_class == "RefusedDestination"
    assert receiver.requests_to("/custom") == []


async def test_a_get_webhooks_answer_is_not_kept_when_delivered_and_capped_when_failed(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    receiver.script("/custom", Reply(200, "internal page: " + "x" * 5000))
    block_id = await create_block(
        api, "custom-webhook", {"name": "h", "url": f"{receiver.url}/custom", "method": "GET"}
    )
    await create_policy(api, block_id)
    delivered_run = await fail_flow_run(api)
    await drain()
    receiver.script("/custom", Reply(404, "missing: " + "y" * 5000))
    failed_run = await fail_flow_run(api)
    await drain()

    [delivered] = await deliveries_of(api, delivered_run)
    assert delivered["status"] == "delivered"
    assert delivered["attempts"][0]["excerpt"] is None
    [failed] = await deliveries_of(api, failed_run)
    assert failed["status"] == "failed"
    kept = failed["attempts"][0]["excerpt"]
    assert kept.startswith("missing: ")
    assert len(kept.encode()) <= 2048


class TestServerWideRefusal:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"block_private_urls": True})

    async def test_every_block_is_refused_a_private_receiver(
        self, api: TestClient, receiver: Receiver, drain: Drain
    ) -> None:
        block_id = await create_block(
            api,
            "slack-webhook",
            {"url": f"{receiver.url}/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"},
        )
        await create_policy(api, block_id)
        flow_run_id = await fail_flow_run(api)
        await drain()

        assert receiver.requests_to("/services") == []
        [delivery] = await deliveries_of(api, flow_run_id)
        assert delivery["status"] == "failed"
        assert "loopback" in delivery["last_error"]


async def test_delivery_outcomes_are_counted_per_channel_in_the_metrics(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    def count(text: str, status: str) -> float:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "signalbox_delivery_attempts_total" and sample.labels == {
                    "channel": "webhook",
                    "status": status,
                }:
                    return sample.value
        return 0.0

    before = await (await api.get("/metrics")).text()
    refused = await create_block(
        api,
        "custom-webhook",
        {"name": "h", "url": f"{receiver.url}/custom", "allow_private_urls": False},
    )
    await create_policy(api, refused)
    await create_policy(
        api, await create_block(api, "custom-webhook", {"name": "h", "url": f"{receiver.url}/ok"})
    )
    receiver.script("/ok", Reply(200, "ok"))
    await fail_flow_run(api)
    await drain()

    after = await (await api.get("/metrics")).text()
    assert count(after, "failed") - count(before, "failed") == 1
    assert count(after, "delivered") - count(before, "delivered") == 1
