"""Bad input gets a clear 4xx with a JSON `detail`, and nothing accepted before is lost."""

from __future__ import annotations

from uuid import uuid4

from aiohttp.test_utils import TestClient

from models.schemas.logs import MAX_LOG_BATCH
from tests.integration.test_flow_runs_api import make_flow_run
from tests.integration.test_logs_api import log_record
from tests.running import Drain


async def test_malformed_json_is_a_422_with_a_detail(api: TestClient) -> None:
    response = await api.post(
        "/api/flow_runs/", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 422
    body = await response.json()
    assert body["detail"][0]["type"] == "json_invalid"


async def test_a_wrong_type_names_the_field(api: TestClient) -> None:
    response = await api.post("/api/flow_runs/", json={"flow_id": "not-a-uuid"})
    assert response.status == 422
    detail = (await response.json())["detail"]
    assert detail[0]["loc"] == ["body", "flow_id"]


async def test_unknown_ids_and_unparsable_path_ids_are_404(api: TestClient) -> None:
    unknown = await api.get(f"/api/flow_runs/{uuid4()}")
    assert unknown.status == 404 and (await unknown.json()) == {"detail": "Flow run not found"}
    garbage = await api.get("/api/flow_runs/not-a-uuid")
    assert garbage.status == 404 and (await garbage.json()) == {"detail": "Not Found"}
    state = await api.post(
        f"/api/flow_runs/{uuid4()}/set_state", json={"state": {"type": "RUNNING"}}
    )
    assert state.status == 404
    route = await api.get("/api/nonexistent")
    assert route.status == 404 and (await route.json()) == {"detail": "Not Found"}


async def test_a_flow_run_for_an_unknown_flow_is_404(api: TestClient) -> None:
    response = await api.post("/api/flow_runs/", json={"flow_id": str(uuid4())})
    assert response.status == 404


async def test_a_limit_over_200_is_refused_with_the_reference_detail(api: TestClient) -> None:
    response = await api.post("/api/flow_runs/filter", json={"limit": 201})
    assert response.status == 422
    assert await response.json() == {"detail": "Invalid limit: must be less than or equal to 200."}


async def test_an_unknown_state_type_is_refused(api: TestClient) -> None:
    run = await make_flow_run(api)
    response = await api.post(
        f"/api/flow_runs/{run['id']}/set_state", json={"state": {"type": "EXPLODED"}}
    )
    assert response.status == 422
    assert (await (await api.get(f"/api/flow_runs/{run['id']}")).json())["state_type"] == "PENDING"


async def test_an_oversized_log_batch_is_refused_and_earlier_logs_stay(
    api: TestClient, drain: Drain
) -> None:
    flow_run_id = str(uuid4())
    accepted = await api.post("/api/logs/", json=[log_record("kept", flow_run_id)])
    assert accepted.status == 201
    too_many = [log_record("x", flow_run_id)] * (MAX_LOG_BATCH + 1)
    refused = await api.post("/api/logs/", json=too_many)
    assert refused.status == 422
    assert "at most" in str((await refused.json())["detail"])
    await drain()
    stored = await (
        await api.post("/api/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}})
    ).json()
    assert [log["message"] for log in stored] == ["kept"]


async def test_a_body_over_the_size_limit_is_413_with_a_detail(api: TestClient) -> None:
    response = await api.post(
        "/api/logs/",
        data=b"[" + b" " * (33 * 2**20) + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert "detail" in await response.json()
