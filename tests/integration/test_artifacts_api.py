"""Artifacts: what runs publish, the latest one per key, and their filters."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient

from tests.integration.test_flow_runs_api import make_flow_run


async def publish(api: TestClient, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/artifacts/", json=fields)
    assert response.status == 201, await response.text()
    return await response.json()


async def test_an_artifact_echoes_what_was_sent_even_for_runs_never_seen(
    api: TestClient,
) -> None:
    flow_run, task_run = str(uuid4()), str(uuid4())  # the server knows neither
    rows = json.dumps([{"a": 1, "b": 2}, {"a": 3, "b": 4}])
    sent = {
        "key": "tbl",
        "type": "table",
        "description": "a table",
        "data": rows,
        "flow_run_id": flow_run,
        "task_run_id": task_run,
    }
    created = await publish(api, **sent)
    assert {key: created[key] for key in sent} == sent
    assert created["metadata_"] is None and created["id"]
    assert await (await api.get(f"/api/artifacts/{created['id']}")).json() == created


async def test_the_latest_artifact_of_a_key_is_the_one_published_last(api: TestClient) -> None:
    first = await publish(api, key="report", type="markdown", data="# one")
    second = await publish(api, key="report", type="markdown", data="# two")
    await publish(api, key="other", type="markdown", data="x")
    await publish(api, type="markdown", data="no key")

    latest = await (await api.get("/api/artifacts/report/latest")).json()
    assert (latest["id"], latest["data"]) == (second["id"], "# two")
    collections = await (
        await api.post(
            "/api/artifacts/latest/filter", json={"artifacts": {"key": {"any_": ["report"]}}}
        )
    ).json()
    assert [(row["key"], row["latest_id"], row["data"]) for row in collections] == [
        ("report", second["id"], "# two")
    ]
    assert await (await api.post("/api/artifacts/latest/count", json={})).json() == 2
    assert await (await api.post("/api/artifacts/count", json={})).json() == 4

    # Deleting the latest makes the one before it the latest; deleting that, no latest.
    assert (await api.delete(f"/api/artifacts/{second['id']}")).status == 204
    latest = await (await api.get("/api/artifacts/report/latest")).json()
    assert latest["id"] == first["id"]
    assert (await api.delete(f"/api/artifacts/{first['id']}")).status == 204
    missing = await api.get("/api/artifacts/report/latest")
    assert missing.status == 404 and await missing.json() == {"detail": "Artifact not found."}


async def test_a_progress_artifact_is_updated_and_so_is_its_latest(api: TestClient) -> None:
    progress = await publish(api, key="load", type="progress", data=10.0, description="loading")
    response = await api.patch(f"/api/artifacts/{progress['id']}", json={"data": 55.5})
    assert response.status == 204
    read = await (await api.get(f"/api/artifacts/{progress['id']}")).json()
    assert (read["data"], read["description"]) == (55.5, "loading")
    assert (await (await api.get("/api/artifacts/load/latest")).json())["data"] == 55.5
    assert (await api.patch(f"/api/artifacts/{uuid4()}", json={"data": 1})).status == 404
    assert (await api.delete(f"/api/artifacts/{uuid4()}")).status == 404


async def test_artifacts_are_filtered_by_their_fields_and_by_their_runs(
    api: TestClient,
) -> None:
    run = await make_flow_run(api)
    task_run = str(uuid4())
    linked = await publish(api, key="lnk", type="markdown", data="[x](https://x.invalid)",
                           flow_run_id=run["id"])  # fmt: skip
    table = await publish(api, key="tbl", type="table", data="[]", task_run_id=task_run)
    image = await publish(api, type="image", data="https://x.invalid/i.png",
                          metadata_={"long": "y" * 600})  # fmt: skip
    assert image["metadata_"]["long"] == "y" * 500 + "..."

    async def ids(body: dict[str, Any], path: str = "/api/artifacts/filter") -> set[str]:
        response = await api.post(path, json=body)
        assert response.status == 200, await response.text()
        return {row["id"] for row in await response.json()}

    assert await ids({"artifacts": {"type": {"any_": ["table", "image"]}}}) == {
        table["id"],
        image["id"],
    }
    assert await ids({"artifacts": {"key": {"exists_": False}}}) == {image["id"]}
    assert await ids({"artifacts": {"key": {"like_": "nk"}}}) == {linked["id"]}
    assert await ids({"artifacts": {"task_run_id": {"any_": [task_run]}}}) == {table["id"]}
    assert await ids({"flow_runs": {"id": {"any_": [run["id"]]}}}) == {linked["id"]}
    assert await ids({"flows": {"id": {"any_": [run["flow_id"]]}}}) == {linked["id"]}
    latest = await api.post(
        "/api/artifacts/latest/filter",
        json={"artifacts": {"type": {"not_any_": ["table"]}}, "sort": "KEY_ASC"},
    )
    assert [row["key"] for row in await latest.json()] == ["lnk"]
    newest = await api.post("/api/artifacts/filter", json={"sort": "CREATED_DESC", "limit": 1})
    assert [row["id"] for row in await newest.json()] == [image["id"]]


async def test_bad_artifacts_are_refused_with_a_detail(api: TestClient) -> None:
    for body, complaint in (
        ({"key": "Has Spaces", "data": 1}, "lowercase letters"),
        ({"key": "under_score", "data": 1}, "lowercase letters"),
        ({"key": "k", "flow_run_id": "not-a-uuid"}, "UUID"),
        ({"key": "k", "data": {"text": "a\u0000b"}}, "NUL"),
        ({"key": "k", "type": "t" * 65}, "at most 64"),
    ):
        response = await api.post("/api/artifacts/", json=body)
        assert response.status == 422, body
        detail = (await response.json())["detail"]
        assert complaint in detail[0]["msg"], (body, detail)
    assert (await api.post("/api/artifacts/filter", json={"limit": 500})).status == 422
