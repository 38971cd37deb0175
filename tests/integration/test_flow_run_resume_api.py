"""Pausing through set_state and resuming through POST /api/flow_runs/{id}/resume."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient

from models.coordination.deployments import Deployment
from models.db.database import Database
from tests.integration.test_flow_runs_api import make_flow_run, propose

APPROVAL_SCHEMA = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}},
    "required": ["approved"],
}
KEYSET = {
    "description": "paused-1-description",
    "response": "paused-1-response",
    "schema": "paused-1-schema",
}


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def paused_run(api: TestClient, **details: Any) -> dict[str, Any]:
    run = await make_flow_run(api)
    await propose(api, run["id"], "RUNNING")
    pause = {"pause_key": "1", "pause_timeout": in_seconds(300), **details}
    paused = await propose(api, run["id"], "PAUSED", "Paused", **pause)
    assert paused["status"] == "ACCEPT", paused
    return run


async def resume(api: TestClient, run_id: str, run_input: Any = None) -> tuple[int, Any]:
    response = await api.post(f"/api/flow_runs/{run_id}/resume", json={"run_input": run_input})
    return response.status, await response.json()


async def read_run(api: TestClient, run_id: str) -> dict[str, Any]:
    return await (await api.get(f"/api/flow_runs/{run_id}")).json()


async def test_a_paused_run_is_resumed_into_running(api: TestClient) -> None:
    run = await paused_run(api)
    status, result = await resume(api, run["id"])
    assert (status, result["status"], result["state"]["type"]) == (201, "ACCEPT", "RUNNING")
    read = await read_run(api, run["id"])
    assert read["state"]["type"] == "RUNNING"
    assert read["empirical_policy"]["pause_keys"] == ["1"]
    assert read["empirical_policy"]["resuming"] is True


async def test_the_same_pause_is_refused_once_it_has_fired(api: TestClient) -> None:
    run = await paused_run(api)
    await resume(api, run["id"])
    again = await propose(api, run["id"], "PAUSED", "Paused", pause_key="1")
    assert again["status"] == "REJECT"
    assert again["state"]["type"] == "RUNNING"
    assert again["details"]["reason"] == "This pause has already fired."
    second = await propose(api, run["id"], "PAUSED", "Paused", pause_key="2")
    assert second["status"] == "ACCEPT"


async def test_resuming_a_run_that_is_not_paused_is_aborted(api: TestClient) -> None:
    run = await make_flow_run(api)
    status, result = await resume(api, run["id"])
    assert (status, result["status"], result["state"]) == (200, "ABORT", None)
    assert result["details"]["reason"] == "Cannot resume a flow run that is not paused."


async def test_resuming_a_flow_run_that_does_not_exist_is_a_404(api: TestClient) -> None:
    assert await resume(api, str(uuid4())) == (404, {"detail": "Flow run not found"})


async def test_a_resume_body_that_is_not_an_object_is_a_422(api: TestClient) -> None:
    run = await paused_run(api)
    response = await api.post(f"/api/flow_runs/{run['id']}/resume", json={"run_input": [1]})
    assert response.status == 422 and "detail" in await response.json()
    assert (await read_run(api, run["id"]))["state"]["type"] == "PAUSED"


async def test_resuming_after_the_pause_timed_out_fails_the_run(api: TestClient) -> None:
    run = await paused_run(api, pause_timeout=in_seconds(-1))
    status, result = await resume(api, run["id"])
    assert (status, result["status"], result["state"]["type"]) == (201, "REJECT", "FAILED")
    assert result["state"]["message"] == "The flow was running and never resumed."
    assert (await read_run(api, run["id"]))["state"]["type"] == "FAILED"


async def test_the_input_a_pause_waits_for_is_checked_and_stored(api: TestClient) -> None:
    run = await paused_run(api, run_input_keyset=KEYSET)
    schema = {"key": "paused-1-schema", "value": json.dumps(APPROVAL_SCHEMA)}
    assert (await api.post(f"/api/flow_runs/{run['id']}/input", json=schema)).status == 201

    status, result = await resume(api, run["id"], {"approved": "yes"})
    assert (status, result["status"], result["state"]["type"]) == (200, "REJECT", "PAUSED")
    assert result["details"] == {
        "type": "abort_details",
        "reason": "Reason: Validation failed for field 'approved'. Failure reason: 'yes' is not"
        " of type 'boolean'",
    }
    missing = await api.get(f"/api/flow_runs/{run['id']}/input/paused-1-response")
    assert missing.status == 404

    status, result = await resume(api, run["id"], {"approved": True})
    assert (status, result["status"]) == (201, "ACCEPT")
    stored = await api.get(f"/api/flow_runs/{run['id']}/input/paused-1-response")
    assert json.loads(await stored.text()) == {"approved": True}


async def test_a_pause_waiting_for_input_without_its_schema_cannot_be_resumed(
    api: TestClient,
) -> None:
    run = await paused_run(api, run_input_keyset=KEYSET)
    status, result = await resume(api, run["id"], {"approved": True})
    assert (status, result["status"]) == (200, "REJECT")
    assert result["details"]["reason"] == "Run input schema not found."
    await api.post(f"/api/flow_runs/{run['id']}/input",
                   json={"key": "paused-1-schema", "value": "{not json"})  # fmt: skip
    status, result = await resume(api, run["id"], {"approved": True})
    assert result["details"]["reason"] == "Run input schema is not valid JSON."


async def test_pausing_again_forgets_the_inputs_of_an_earlier_attempt(api: TestClient) -> None:
    run = await paused_run(api, run_input_keyset=KEYSET)
    for key in ("paused-1-schema", "paused-1-response"):
        body = {"key": key, "value": json.dumps(APPROVAL_SCHEMA)}
        await api.post(f"/api/flow_runs/{run['id']}/input", json=body)
    # Rescheduled from a blocking pause, the run starts over and meets pause "1" again.
    rescheduled = await propose(api, run["id"], "SCHEDULED", scheduled_time=in_seconds(0))
    assert rescheduled["status"] == "ACCEPT"
    assert (await read_run(api, run["id"]))["empirical_policy"]["pause_keys"] == []
    await propose(api, run["id"], "PENDING")
    await propose(api, run["id"], "RUNNING")
    again = await propose(api, run["id"], "PAUSED", "Paused", pause_key="1",
                          run_input_keyset=KEYSET)  # fmt: skip
    assert again["status"] == "ACCEPT"
    for key in ("paused-1-schema", "paused-1-response"):
        assert (await api.get(f"/api/flow_runs/{run['id']}/input/{key}")).status == 404


async def test_suspending_a_run_without_a_deployment_is_aborted(api: TestClient) -> None:
    run = await make_flow_run(api)
    await propose(api, run["id"], "RUNNING")
    result = await propose(api, run["id"], "PAUSED", "Suspended", pause_key="1",
                           pause_reschedule=True)  # fmt: skip
    assert result["status"] == "ABORT"
    assert result["details"]["reason"] == "Cannot suspend flows without a deployment."
    assert (await read_run(api, run["id"]))["state"]["type"] == "RUNNING"


async def test_a_suspended_run_of_a_deployment_is_resumed_into_a_scheduled_resuming(
    api: TestClient, database: Database
) -> None:
    flow = await (await api.post("/api/flows/", json={"name": "suspending"})).json()
    deployment_id = uuid4()
    async with database.sessions.begin() as session:
        session.add(Deployment(id=deployment_id, name="nightly", flow_id=UUID(flow["id"])))
    run = await (
        await api.post(
            "/api/flow_runs/", json={"flow_id": flow["id"], "deployment_id": str(deployment_id)}
        )
    ).json()
    await propose(api, run["id"], "RUNNING")
    suspended = await propose(api, run["id"], "PAUSED", "Suspended", pause_key="1",
                              pause_reschedule=True, pause_timeout=in_seconds(300))  # fmt: skip
    assert suspended["status"] == "ACCEPT"
    status, result = await resume(api, run["id"])
    assert (status, result["status"]) == (201, "ACCEPT")
    assert (result["state"]["type"], result["state"]["name"]) == ("SCHEDULED", "Resuming")
    # Started again by its Prefect worker: the same attempt, not a new one.
    await propose(api, run["id"], "PENDING")
    await propose(api, run["id"], "RUNNING")
    read = await read_run(api, run["id"])
    assert (read["run_count"], read["empirical_policy"]["resuming"]) == (1, False)
