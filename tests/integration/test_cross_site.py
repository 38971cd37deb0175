"""Cross-site requests and DNS rebinding: JSON bodies only, foreign Origins and Hosts refused,
CORS only for the origins configured."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from api.app import create_app
from api.cross_site import CrossSitePolicy, host_name
from models.db.database import Database
from models.settings import Settings

MakeClient = Callable[..., Awaitable[TestClient]]
FOREIGN = "http://evil.example"


@pytest.fixture
def make_client(
    settings: Settings, database: Database, aiohttp_client: MakeClient
) -> Callable[..., Awaitable[TestClient]]:
    async def make(**changes: Any) -> TestClient:
        return await aiohttp_client(create_app(settings.model_copy(update=changes)))

    return make


async def count_variables(client: TestClient) -> int:
    return int(await (await client.post("/api/variables/count", json={})).json())


async def test_a_text_plain_or_form_post_is_415_and_writes_nothing(make_client: MakeClient) -> None:
    client = await make_client()
    body = '{"name": "planted", "value": 1}'
    for content_type in (
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ):
        response = await client.post(
            "/api/variables/", data=body, headers={"Content-Type": content_type}
        )
        assert response.status == 415, content_type
        assert "JSON" in (await response.json())["detail"]
    without_type = await client.post("/api/variables/", data=body.encode())
    assert without_type.status == 415
    patched = await client.patch("/api/variables/name/planted", data=body)
    assert patched.status == 415
    assert await count_variables(client) == 0
    accepted = await client.post(
        "/api/variables/", data=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert accepted.status == 201
    # Without a body there is nothing to forge: DELETE and empty POSTs need no Content-Type.
    assert (await client.delete("/api/variables/name/planted")).status == 204


async def test_the_block_document_forgery_of_the_issue_is_refused(make_client: MakeClient) -> None:
    client = await make_client()
    response = await client.post(
        "/api/block_documents/",
        data='{"name": "x", "data": {}}',
        headers={"Content-Type": "text/plain", "Origin": FOREIGN, "Host": "rebound.example"},
    )
    assert response.status in {400, 403, 415}
    listed = await client.post("/api/block_documents/filter", json={})
    assert await listed.json() == []


async def test_a_foreign_origin_is_refused_and_the_own_origin_accepted(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    for method, path, body in (
        ("GET", "/api/hello", None),
        ("POST", "/api/variables/", {"name": "v", "value": 1}),
        ("POST", "/api/variables/filter", {}),
    ):
        for origin in (FOREIGN, "null", f"http://{client.host}:1"):
            response = await client.request(method, path, json=body, headers={"Origin": origin})
            assert response.status == 403, (method, path, origin)
            assert "Origin" in (await response.json())["detail"]
            assert "Access-Control-Allow-Origin" not in response.headers
    assert await count_variables(client) == 0
    own = f"http://{client.host}:{client.port}"
    created = await client.post("/api/variables/", json={"name": "v", "value": 1},
                                headers={"Origin": own})  # fmt: skip
    assert created.status == 201
    assert "Access-Control-Allow-Origin" not in created.headers  # same origin: no CORS needed


async def test_cors_answers_the_configured_origins_only(make_client: MakeClient) -> None:
    ui = "https://ui.example.com"
    client = await make_client(cors_allowed_origins=f"{ui}, https://other.example.com/")
    preflight = await client.options(
        "/api/variables/",
        headers={
            "Origin": ui,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ui
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type, authorization"
    created = await client.post("/api/variables/", json={"name": "v", "value": 1},
                                headers={"Origin": ui})  # fmt: skip
    assert created.status == 201
    assert created.headers["Access-Control-Allow-Origin"] == ui
    assert "Origin" in created.headers["Vary"]
    missing = await client.get("/api/variables/name/absent", headers={"Origin": ui})
    assert missing.status == 404  # errors carry the header too: the page can read the detail
    assert missing.headers["Access-Control-Allow-Origin"] == ui
    trailing = await client.get("/api/hello", headers={"Origin": "https://other.example.com"})
    assert trailing.status == 200

    foreign = await client.options(
        "/api/variables/", headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"}
    )
    assert foreign.status == 403
    assert "Access-Control-Allow-Origin" not in foreign.headers


async def test_without_cors_origins_no_preflight_is_answered(make_client: MakeClient) -> None:
    client = await make_client()
    preflight = await client.options(
        "/api/variables/", headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status == 403


async def test_a_foreign_host_is_refused_and_local_ones_accepted(make_client: MakeClient) -> None:
    client = await make_client()
    port = client.port
    for host in ("evil.example", f"evil.example:{port}", "0.0.0.0", f"10.0.0.8:{port}", ""):
        response = await client.get("/api/hello", headers={"Host": host})
        assert response.status == 400, host
        assert "SIGNALBOX_ALLOWED_HOSTS" in (await response.json())["detail"]
    for host in ("localhost", f"localhost:{port}", "127.0.0.1", f"[::1]:{port}", "LOCALHOST."):
        assert (await client.get("/api/hello", headers={"Host": host})).status == 200, host
    refused = await client.post(
        "/api/variables/", json={"name": "v", "value": 1}, headers={"Host": "evil.example"}
    )
    assert refused.status == 400
    assert await count_variables(client) == 0
    # Probes reach health and readiness by whatever address the orchestrator knows.
    assert (await client.get("/api/health", headers={"Host": "10.0.0.8:4200"})).status == 200


async def test_allowed_hosts_add_names_and_a_star_allows_any(make_client: MakeClient) -> None:
    named = await make_client(allowed_hosts="signalbox.internal, web", api_host="192.168.1.5")
    for host in ("signalbox.internal:4200", "web", "192.168.1.5:4200", "localhost"):
        assert (await named.get("/api/hello", headers={"Host": host})).status == 200, host
    assert (await named.get("/api/hello", headers={"Host": "evil.example"})).status == 400
    anywhere = await make_client(allowed_hosts="*")
    assert (await anywhere.get("/api/hello", headers={"Host": "evil.example"})).status == 200


async def test_websockets_refuse_foreign_origins_and_hosts(make_client: MakeClient) -> None:
    client = await make_client()
    for headers, status in (({"Origin": FOREIGN}, 403), ({"Host": "evil.example"}, 400)):
        for path in ("/api/events/out", "/api/events/in"):
            with pytest.raises(Exception) as refused:
                await client.ws_connect(path, protocols=("prefect",), headers=headers)
            assert getattr(refused.value, "status", None) == status, (path, headers)
    own = f"http://{client.host}:{client.port}"
    socket = await client.ws_connect("/api/events/out", protocols=("prefect",),
                                     headers={"Origin": own})  # fmt: skip
    await socket.send_json({"type": "auth", "token": None})
    assert (await socket.receive_json(timeout=10)) == {"type": "auth_success"}
    await socket.close()


def test_host_headers_are_read_without_their_port() -> None:
    assert host_name("Example.COM:4200") == "example.com"
    assert host_name("[::1]:4200") == "::1"
    assert host_name("[::1]") == "::1"
    assert host_name("localhost.") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1"


def test_a_wildcard_bind_address_is_not_a_host_anyone_may_name() -> None:
    policy = CrossSitePolicy.from_settings(Settings(api_host="0.0.0.0"))
    assert not policy.allows_host("0.0.0.0:4200")
    assert policy.allows_host("127.0.0.1:4200")
    assert not policy.allows_host(None)
