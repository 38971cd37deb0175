"""Flow runs acted on in bulk: deleted, or each proposed one state, up to 50 at a time."""

from __future__ import annotations

from uuid import uuid4

from aiohttp.test_utils import TestClient

from tests.integration.test_flow_runs_api import make_flow_run
from tests.integration.test_logs_api import log_record
from tests.running import Drain


async def test_bulk_delete_removes_the_matching_runs_and_their_logs(
    api: TestClient, drain: Drain
) -> None:
    tag = f"bulk-{uuid4().hex[:6]}"
    doomed = [await make_flow_run(api, tags=[tag]) for _ in range(3)]
    kept = await make_flow_run(api)
    await api.post("/api/logs/", json=[log_record("bye", doomed[0]["id"])])
    await drain()

    body = {"flow_runs": {"tags": {"all_": [tag]}}, "limit": 2}
    first = await (await api.post("/api/flow_runs/bulk_delete", json=body)).json()
    newest_first = sorted((run["id"] for run in doomed), reverse=True)
    assert first == {"deleted": newest_first[:2]}
    rest = await (await api.post("/api/flow_runs/bulk_delete", json=body)).json()
    assert rest == {"deleted": newest_first[2:]}
    assert await (await api.post("/api/flow_runs/bulk_delete", json=body)).json() == {"deleted": []}

    for run in doomed:
        assert (await api.get(f"/api/flow_runs/{run['id']}")).status == 404
    assert (await api.get(f"/api/flow_runs/{kept['id']}")).status == 200
    logs = await api.post(
        "/api/logs/filter", json={"logs": {"flow_run_id": {"any_": [doomed[0]["id"]]}}}
    )
    assert await logs.json() == []


async def test_bulk_set_state_decides_each_run_as_set_state_would(api: TestClient) -> None:
    tag = f"bulk-{uuid4().hex[:6]}"
    runs = [await make_flow_run(api, tags=[tag]) for _ in range(2)]
    body = {"flow_runs": {"tags": {"all_": [tag]}}, "state": {"type": "RUNNING"}}
    response = await api.post("/api/flow_runs/bulk_set_state", json=body)
    assert response.status == 200, await response.text()
    results = (await response.json())["results"]
    assert sorted(result["flow_run_id"] for result in results) == sorted(r["id"] for r in runs)
    assert {result["status"] for result in results} == {"ACCEPT"}
    assert {result["state"]["type"] for result in results} == {"RUNNING"}
    for run in runs:
        read = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
        assert (read["state_type"], read["run_count"]) == ("RUNNING", 1)

    # Orchestration still speaks: a second RUNNING -> PENDING is aborted for each run.
    again = await api.post(
        "/api/flow_runs/bulk_set_state", json=body | {"state": {"type": "PENDING"}}
    )
    assert {result["status"] for result in (await again.json())["results"]} == {"ABORT"}
    forced = await api.post(
        "/api/flow_runs/bulk_set_state",
        json=body | {"state": {"type": "CANCELLED"}, "force": True, "limit": 1},
    )
    assert [result["status"] for result in (await forced.json())["results"]] == ["ACCEPT"]


async def test_bulk_bodies_are_checked(api: TestClient) -> None:
    for path, body in (
        ("/api/flow_runs/bulk_delete", {"limit": 51}),
        ("/api/flow_runs/bulk_delete", {"limit": 0}),
        ("/api/flow_runs/bulk_delete", {"flow_runs": {"unknown": 1}}),
        ("/api/flow_runs/bulk_set_state", {"flow_runs": None}),
        ("/api/flow_runs/bulk_set_state", {"state": {"type": "NOPE"}}),
        ("/api/flow_runs/bulk_set_state", {"state": {"type": "RUNNING"}, "limit": 100}),
    ):
        response = await api.post(path, json=body)
        assert response.status == 422, (path, body)
        assert "detail" in await response.json()
