"""A worker's session to receivers: kept open between deliveries, and holding nothing of one
delivery that could leak into the next."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.integration.notifications.receiver import Receiver, Reply
from tests.integration.notifications.scenario import create_block, create_policy, fail_flow_run
from tests.running import Drain


async def webhook_policy(api: TestClient, url: str) -> None:
    await create_policy(api, await create_block(api, "custom-webhook", {"name": "h", "url": url}))


async def test_deliveries_one_after_another_reuse_one_connection(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    await webhook_policy(api, f"{receiver.url}/custom")
    for _ in range(2):
        await fail_flow_run(api)
        await drain()

    first, second = receiver.requests_to("/custom")
    assert first.client_port == second.client_port  # no new connection per delivery


async def test_a_cookie_a_receiver_sets_is_never_sent_with_a_later_delivery(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    receiver.script("/custom", Reply(200, "", headers={"Set-Cookie": "visitor=abc; Path=/"}))
    # A host name: aiohttp's default jar would ignore a cookie from an IP address anyway.
    await webhook_policy(api, f"http://localhost:{receiver.port}/custom")
    for _ in range(2):
        await fail_flow_run(api)
        await drain()

    first, second = receiver.requests_to("/custom")
    assert first.header("Cookie") is None
    assert second.header("Cookie") is None
