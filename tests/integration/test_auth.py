"""Authentication: the auth string (basic), API keys (bearer) and their scopes, on every route
of the API description and on every websocket."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import dramatiq
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient
from click.testing import CliRunner
from pydantic import SecretStr

from api.app import create_app
from api.auth import KEY_CACHE_SECONDS
from cli.main import signalbox
from models.api_keys import Scope, create_api_key, revoke_api_key
from models.db.database import Database
from models.db.types import utcnow
from models.settings import Settings

AUTH_STRING = "operator:s3cret:with-colon"
MakeClient = Callable[..., Awaitable[TestClient]]
#: Routes the API serves without being in its description: the description itself.
DESCRIPTION_ROUTES = {"/api/openapi.json", "/docs"}


def basic(auth_string: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(auth_string.encode()).decode()}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_client(
    settings: Settings, database: Database, aiohttp_client: MakeClient
) -> Callable[..., Awaitable[TestClient]]:
    """A client of the API built with `settings` changed as asked (on the emptied database)."""

    async def make(**changes: Any) -> TestClient:
        return await aiohttp_client(create_app(settings.model_copy(update=changes)))

    return make


async def new_key(database: Database, name: str, scope: Scope) -> str:
    async with database.sessions.begin() as session:
        _, key = await create_api_key(session, name, scope, utcnow())
    return key


def concrete(path: str) -> str:
    """A described path with its parameters filled in (ids as fresh UUIDs)."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            name = part[1:-1].split(":")[0]
            part = str(uuid4()) if name.endswith("id") else "x"
        parts.append(part)
    return "/".join(parts)


async def described_operations(
    client: TestClient, headers: dict[str, str]
) -> list[tuple[str, str]]:
    document = await (await client.get("/api/openapi.json", headers=headers)).json()
    return [
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    ]


def websocket_paths(app: web.Application) -> list[str]:
    """The GET routes of the API the description leaves out, bar the description itself:
    websockets (the UI's pages are not the API's).

    A path parameter is filled with a sample value (the worker channel's pool name)."""
    return sorted(
        {
            re.sub(r"\{[^}]+\}", "sample", route.resource.canonical)
            for route in app.router.routes()
            if route.method == "GET"
            and route.resource is not None
            and route.resource.canonical.startswith("/api/")
            and getattr(route.handler, "__openapi__", None) is None
            and route.resource.canonical not in DESCRIPTION_ROUTES
        }
    )


async def test_anonymous_and_wrong_credentials_are_401_on_every_described_route(
    make_client: MakeClient,
    workers: dramatiq.Worker,  # /api/ready is ready only with worker processes alive
) -> None:
    client = await make_client(api_auth_string=SecretStr(AUTH_STRING))
    operations = await described_operations(client, basic(AUTH_STRING))
    assert len(operations) > 50
    wrong = [
        {},
        basic("operator:wrong"),
        basic(AUTH_STRING + "x"),
        bearer("sb_not-a-key"),
        {"Authorization": "Basic %%%not-base64"},
        {"Authorization": "Token " + AUTH_STRING},
    ]
    for method, path in operations:
        if path in {"/api/health", "/api/ready"}:
            for headers in wrong:
                response = await client.request(method, path, headers=headers)
                assert response.status == 200, (method, path, headers)
            continue
        for headers in wrong:
            response = await client.request(method, concrete(path), json={}, headers=headers)
            assert response.status == 401, (method, path, headers, response.status)
            assert response.headers["WWW-Authenticate"] == 'Basic realm="Signalbox"'
            assert "detail" in await response.json()
    for path in DESCRIPTION_ROUTES:
        assert (await client.get(path)).status == 401


async def test_the_auth_string_opens_every_route(make_client: MakeClient) -> None:
    client = await make_client(api_auth_string=SecretStr(AUTH_STRING))
    assert await (await client.get("/api/hello", headers=basic(AUTH_STRING))).json()
    created = await client.post(
        "/api/variables/", json={"name": "v", "value": 1}, headers=basic(AUTH_STRING)
    )
    assert created.status == 201
    document = await client.get(
        "/api/block_types/slug/secret/block_documents?include_secrets=true",
        headers=basic(AUTH_STRING),
    )
    assert document.status == 200
    assert (await client.get("/docs", headers=basic(AUTH_STRING))).status == 200


async def test_without_auth_string_or_keys_the_api_is_open(make_client: MakeClient) -> None:
    client = await make_client()
    assert (await client.post("/api/variables/", json={"name": "v", "value": 1})).status == 201
    # A client configured with credentials still gets in: there is nothing to check them by.
    assert (await client.get("/api/variables/name/v", headers=bearer("sb_any"))).status == 200


async def wait_for_status(
    client: TestClient, path: str, status: int, headers: dict[str, str] | None = None
) -> int:
    """Poll `path` until it answers `status` (keys take effect within KEY_CACHE_SECONDS)."""
    deadline = time.monotonic() + KEY_CACHE_SECONDS * 5
    while True:
        answer = (await client.get(path, headers=headers or {})).status
        if answer == status or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.05)  # polling interval, bounded by the deadline


async def test_the_first_api_key_turns_authentication_on_and_revoking_it_keeps_it_on(
    make_client: MakeClient, database: Database
) -> None:
    client = await make_client()
    assert (await client.get("/api/variables/name/absent")).status == 404
    key = await new_key(database, "ci", Scope.READ)
    assert await wait_for_status(client, "/api/variables/name/absent", 401) == 401
    assert (await client.get("/api/variables/name/absent", headers=bearer(key))).status == 404
    anonymous = await client.get("/api/hello")
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="Signalbox"'

    async with database.sessions.begin() as session:
        await revoke_api_key(session, "ci", utcnow())
    assert await wait_for_status(client, "/api/hello", 401, bearer(key)) == 401
    assert (await client.get("/api/hello")).status == 401
    assert (await client.get("/api/health")).status == 200


async def test_a_read_key_cannot_write_or_read_secrets(
    make_client: MakeClient, database: Database
) -> None:
    client = await make_client(api_auth_string=SecretStr(AUTH_STRING))
    read = bearer(await new_key(database, "reader", Scope.READ))
    admin = basic(AUTH_STRING)
    block_type = await (await client.get("/api/block_types/slug/secret", headers=admin)).json()
    made = await client.post(
        "/api/block_documents/",
        json={
            "name": "pw",
            "data": {"value": "hunter2"},
            "block_type_id": block_type["id"],
            "block_schema_id": await secret_schema_id(client, admin),
        },
        headers=admin,
    )
    assert made.status == 201, await made.text()
    document_id = (await made.json())["id"]

    assert (await client.get(f"/api/block_documents/{document_id}", headers=read)).status == 200
    listed = await client.post("/api/block_documents/filter", json={}, headers=read)
    assert listed.status == 200
    assert (await listed.json())[0]["data"]["value"] == "********"
    assert (await client.post("/api/flow_runs/count", json={}, headers=read)).status == 200

    refused = [
        await client.get(f"/api/block_documents/{document_id}?include_secrets=true", headers=read),
        await client.post(
            "/api/block_documents/filter", json={"include_secrets": True}, headers=read
        ),
        await client.post("/api/variables/", json={"name": "v", "value": 1}, headers=read),
        await client.delete(f"/api/block_documents/{document_id}", headers=read),
        await client.post("/api/flows/", json={"name": "f"}, headers=read),
    ]
    for response in refused:
        assert response.status == 403
        assert "read scope" in (await response.json())["detail"]
    assert (await client.get("/api/variables/name/v", headers=admin)).status == 404

    clear = await client.get(
        f"/api/block_documents/{document_id}?include_secrets=true", headers=admin
    )
    assert (await clear.json())["data"]["value"] == "hunter2"


async def secret_schema_id(client: TestClient, headers: dict[str, str]) -> str:
    block_type = await (await client.get("/api/block_types/slug/secret", headers=headers)).json()
    schemas = await (
        await client.post(
            "/api/block_schemas/filter",
            json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}},
            headers=headers,
        )
    ).json()
    return str(schemas[0]["id"])


async def test_a_write_key_runs_flows_but_needs_admin_for_blocks(
    make_client: MakeClient, database: Database
) -> None:
    client = await make_client()
    write = bearer(await new_key(database, "worker", Scope.WRITE))
    admin = bearer(await new_key(database, "ops", Scope.ADMIN))
    assert (await client.post("/api/flows/", json={"name": "f"}, headers=write)).status == 201
    body = {"name": "x", "data": {"value": "v"}, "block_type_id": str(uuid4()),
            "block_schema_id": str(uuid4())}  # fmt: skip
    assert (await client.post("/api/block_documents/", json=body, headers=write)).status == 403
    # An admin key gets past authentication (the made-up ids are then the route's 404).
    assert (await client.post("/api/block_documents/", json=body, headers=admin)).status != 403


async def read_frame(socket: Any) -> Any:
    message = await socket.receive(timeout=10)
    return message.json() if message.type is WSMsgType.TEXT else message.type


async def open_socket(
    client: TestClient, path: str, token: Any, headers: dict[str, str] | None = None
) -> tuple[Any, Any]:
    """Open `path` with the prefect subprotocol, send the auth frame; (first answer, close code)."""
    socket = await client.ws_connect(path, protocols=("prefect",), headers=headers or {})
    await socket.send_json({"type": "auth", "token": token})
    answer = await read_frame(socket)
    if isinstance(answer, dict) and answer["type"] == "auth_success":
        await socket.close()
        return answer, None
    await read_frame(socket)  # the close frame
    return answer, socket.close_code


async def test_every_websocket_refuses_anonymous_and_wrong_tokens(
    make_client: MakeClient, database: Database
) -> None:
    client = await make_client(api_auth_string=SecretStr(AUTH_STRING))
    sockets = websocket_paths(client.app)
    assert {"/api/events/in", "/api/events/out"} <= set(sockets)
    reader = await new_key(database, "reader", Scope.READ)
    writer = await new_key(database, "writer", Scope.WRITE)
    for path in sockets:
        for token in (None, "", "operator:wrong", "sb_unknown", 42):
            answer, code = await open_socket(client, path, token)
            assert answer["type"] == "auth_failure", (path, token)
            assert code == 1008, (path, token)
        for token in (AUTH_STRING, writer):
            answer, _ = await open_socket(client, path, token)
            assert answer == {"type": "auth_success"}, (path, token)
        answer, _ = await open_socket(client, path, reader)
        expected = "auth_success" if path == "/api/events/out" else "auth_failure"
        assert answer["type"] == expected, path
        # Without the prefect subprotocol there is no auth frame: the upgrade itself is refused.
        with pytest.raises(Exception) as refused:
            await client.ws_connect(path)
        assert getattr(refused.value, "status", None) == 401, path
        # A valid Authorization header on the upgrade authenticates the socket by itself.
        answer, _ = await open_socket(client, path, None, headers=bearer(writer))
        assert answer == {"type": "auth_success"}, path
        with pytest.raises(Exception) as wrong_header:
            await client.ws_connect(path, protocols=("prefect",), headers=bearer("sb_no"))
        assert getattr(wrong_header.value, "status", None) == 401, path


def run_cli(settings: Settings, *args: str, input: str | None = None) -> Any:
    env = {"SIGNALBOX_DATABASE_URL": settings.database_url, "SIGNALBOX_HOME": str(settings.home)}
    return CliRunner().invoke(signalbox, ["api-key", *args], env=env, input=input)


async def test_api_keys_are_created_listed_and_revoked_from_the_cli(
    make_client: MakeClient, settings: Settings
) -> None:
    client = await make_client()
    created = await asyncio.to_thread(
        run_cli, settings, "create", "--name", "ci", "--scope", "read"
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("sb_") and len(key) > 40
    duplicate = await asyncio.to_thread(run_cli, settings, "create", "--name", "ci")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    bad_scope = await asyncio.to_thread(
        run_cli, settings, "create", "--name", "x", "--scope", "root"
    )
    assert bad_scope.exit_code == 2

    assert (await client.get("/api/hello", headers=bearer(key))).status == 200
    assert await wait_for_status(client, "/api/hello", 401) == 401

    listed = await asyncio.to_thread(run_cli, settings, "ls")
    header, row = listed.stdout.splitlines()
    assert header.split() == ["name", "scope", "key", "created", "revoked"]
    assert row.split()[:3] == ["ci", "read", key[:11] + "..."]
    assert key not in listed.stdout

    revoked = await asyncio.to_thread(run_cli, settings, "revoke", "ci", "-y")
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert await wait_for_status(client, "/api/hello", 401, bearer(key)) == 401
    unknown = await asyncio.to_thread(run_cli, settings, "revoke", "nope", "-y")
    assert unknown.exit_code == 1


def test_signalbox_config_masks_the_auth_string(settings: Settings) -> None:
    env = {"SIGNALBOX_API_AUTH_STRING": AUTH_STRING, "SIGNALBOX_HOME": str(settings.home)}
    shown = CliRunner().invoke(signalbox, ["config"], env=env)
    assert shown.exit_code == 0
    assert "s3cret" not in shown.output and "SIGNALBOX_API_AUTH_STRING" in shown.output


async def test_every_page_of_the_ui_needs_the_auth_string_too(make_client: MakeClient) -> None:
    client = await make_client(api_auth_string=SecretStr(AUTH_STRING))
    pages = sorted(
        {
            resource.canonical
            for resource in client.app.router.resources()
            if not resource.canonical.startswith("/api/")
            and resource.canonical not in DESCRIPTION_ROUTES | {"/metrics"}
        }
    )
    assert {"/", "/runs", "/runs/flow-run/{id}", "/notifications", "/ui/live"} <= set(pages)
    for path in pages:
        page = concrete(path)
        anonymous = await client.get(page)
        assert anonymous.status == 401, (page, anonymous.status)
        # A browser answers this challenge by asking for the user and password.
        assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="Signalbox"'
    dashboard = await client.get("/", headers=basic(AUTH_STRING))
    assert dashboard.status == 200
    assert dashboard.content_type == "text/html"
