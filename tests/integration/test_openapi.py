"""The API describes itself: an OpenAPI 3 document and a readable page."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from api import keys


async def test_the_openapi_document_describes_every_route_with_its_schemas(api: TestClient) -> None:
    document = await (await api.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [
        ("/api/flow_runs/", "post"),
        ("/api/flow_runs/{id}/set_state", "post"),
        ("/api/flow_runs/filter", "post"),
        ("/api/logs/", "post"),
        ("/api/task_runs/{id}", "get"),
        ("/api/admin/version", "get"),
    ]:
        assert method in paths[path], f"{method} {path} is not described"
    body = paths["/api/flow_runs/{id}/set_state"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("SetStateRequest")
    assert "FlowRunResponse" in document["components"]["schemas"]


async def test_the_docs_page_lists_the_routes(api: TestClient) -> None:
    response = await api.get("/docs")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "/api/flow_runs/{id}/set_state" in page and "SetStateRequest" in page


async def test_the_admin_routes_answer_as_the_prefect_client_expects(api: TestClient) -> None:
    assert await (await api.get("/api/admin/version")).json() == "3.9.1"
    assert (await api.get("/api/csrf-token?client=abc")).status == 422
    storage = await (await api.get("/api/admin/storage")).json()
    assert storage == {"default_result_storage_block_id": None}
    assert await (await api.get("/api/health")).json() is True
    ready = await api.get("/api/ready")
    assert ready.status == 200


async def test_ready_answers_503_naming_what_does_not_answer(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse() -> bool:
        raise ConnectionRefusedError("Redis is away")

    monkeypatch.setattr(api.app[keys.redis_client], "ping", refuse)
    ready = await api.get("/api/ready")
    assert (ready.status, ready.content_type) == (503, "application/json")
    assert await ready.json() == {
        "detail": "Not ready",
        "problems": {"redis": "ConnectionRefusedError"},
    }
