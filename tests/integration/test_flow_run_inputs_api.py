"""Flow-run inputs through the API: store, read as text, list by prefix, delete."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient

from tests.integration.test_flow_runs_api import make_flow_run


async def store(api: TestClient, run_id: str, key: str, value: Any, sender: str | None = None
                ) -> int:  # fmt: skip
    body = {"key": key, "value": json.dumps(value), "sender": sender}
    response = await api.post(f"/api/flow_runs/{run_id}/input", json=body)
    return response.status


async def test_a_stored_input_reads_back_as_the_text_it_was(api: TestClient) -> None:
    run = await make_flow_run(api)
    response = await api.post(
        f"/api/flow_runs/{run['id']}/input", json={"key": "paused-1-schema", "value": '{"a": 1}'}
    )
    assert (response.status, await response.json()) == (201, None)
    read = await api.get(f"/api/flow_runs/{run['id']}/input/paused-1-schema")
    assert read.status == 200
    assert read.content_type == "text/plain"
    assert await read.text() == '{"a": 1}'


async def test_a_key_is_stored_once_per_flow_run(api: TestClient) -> None:
    first, second = await make_flow_run(api), await make_flow_run(api)
    assert await store(api, first["id"], "greeting", "hi") == 201
    again = await api.post(
        f"/api/flow_runs/{first['id']}/input", json={"key": "greeting", "value": '"again"'}
    )
    assert again.status == 409
    assert await again.json() == {"detail": "A flow run input with this key already exists."}
    assert await store(api, second["id"], "greeting", "hi") == 201  # another run's key is free
    read = await api.get(f"/api/flow_runs/{first['id']}/input/greeting")
    assert await read.text() == '"hi"'


async def test_an_input_for_a_flow_run_that_does_not_exist_is_a_404(api: TestClient) -> None:
    response = await api.post(f"/api/flow_runs/{uuid4()}/input", json={"key": "k", "value": "1"})
    assert (response.status, await response.json()) == (404, {"detail": "Flow run not found"})


@pytest.mark.parametrize(
    "body",
    [
        {"key": "Not_Valid", "value": "1"},
        {"key": "k"},
        {"value": "1"},
        {"key": "k", "value": {"not": "text"}},
    ],
)
async def test_a_bad_input_is_a_422_and_stores_nothing(api: TestClient, body: Any) -> None:
    run = await make_flow_run(api)
    response = await api.post(f"/api/flow_runs/{run['id']}/input", json=body)
    assert response.status == 422
    assert "detail" in await response.json()
    listed = await api.post(f"/api/flow_runs/{run['id']}/input/filter", json={"prefix": ""})
    assert await listed.json() == []


async def test_an_unknown_key_is_a_404(api: TestClient) -> None:
    run = await make_flow_run(api)
    response = await api.get(f"/api/flow_runs/{run['id']}/input/nothing-here")
    assert (response.status, await response.json()) == (404, {"detail": "Flow run input not found"})


async def test_the_filter_lists_a_prefix_oldest_first_without_the_excluded_keys(
    api: TestClient,
) -> None:
    run = await make_flow_run(api)
    for index in range(4):
        assert await store(api, run["id"], f"message-auto-{index}", index, sender="flow/a") == 201
    await store(api, run["id"], "other-1", "x")
    await store(api, run["id"], "messagexauto-9", "not a prefix match")  # `-` is no wildcard

    async def keys(**body: Any) -> list[str]:
        response = await api.post(f"/api/flow_runs/{run['id']}/input/filter", json=body)
        assert response.status == 200, await response.text()
        return [row["key"] for row in await response.json()]

    assert await keys(prefix="message-auto") == ["message-auto-0"]  # the limit is 1 by default
    assert await keys(prefix="message-auto", limit=10) == [f"message-auto-{i}" for i in range(4)]
    assert await keys(prefix="message-auto", limit=2, exclude_keys=["message-auto-0"]) == [
        "message-auto-1",
        "message-auto-2",
    ]
    response = await api.post(f"/api/flow_runs/{run['id']}/input/filter",
                              json={"prefix": "message-auto-3"})  # fmt: skip
    [row] = await response.json()
    assert (row["flow_run_id"], row["value"], row["sender"]) == (run["id"], "3", "flow/a")
    assert set(row) == {"id", "created", "updated", "flow_run_id", "key", "value", "sender"}


async def test_a_like_wildcard_in_the_prefix_matches_only_itself(api: TestClient) -> None:
    run = await make_flow_run(api)
    await store(api, run["id"], "ab", 1)
    response = await api.post(f"/api/flow_runs/{run['id']}/input/filter",
                              json={"prefix": "a%", "limit": 5})  # fmt: skip
    assert await response.json() == []


async def test_a_filter_without_a_prefix_is_a_422(api: TestClient) -> None:
    run = await make_flow_run(api)
    response = await api.post(f"/api/flow_runs/{run['id']}/input/filter", json={"limit": 3})
    assert response.status == 422


async def test_a_deleted_input_is_gone_and_deleting_it_again_is_a_404(api: TestClient) -> None:
    run = await make_flow_run(api)
    await store(api, run["id"], "once", 1)
    deleted = await api.delete(f"/api/flow_runs/{run['id']}/input/once")
    assert deleted.status == 204
    assert (await api.get(f"/api/flow_runs/{run['id']}/input/once")).status == 404
    again = await api.delete(f"/api/flow_runs/{run['id']}/input/once")
    assert (again.status, await again.json()) == (404, {"detail": "Flow run input not found"})


async def test_deleting_a_flow_run_deletes_its_inputs(api: TestClient) -> None:
    run = await make_flow_run(api)
    await store(api, run["id"], "kept-with-the-run", 1)
    assert (await api.delete(f"/api/flow_runs/{run['id']}")).status == 204
    response = await api.get(f"/api/flow_runs/{run['id']}/input/kept-with-the-run")
    assert response.status == 404
