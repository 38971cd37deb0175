"""Flow runs through the API: create, read, change, list, and set_state decided at once."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import delete

from actors.persistence import announce_flow_run_states
from api import keys
from models.runs.task_runs import TaskRunState
from tests.running import Drain


async def make_flow_run(api: TestClient, **fields: Any) -> dict[str, Any]:
    flow = await (await api.post("/api/flows/", json={"name": f"flow-{uuid4().hex[:8]}"})).json()
    body = {"flow_id": flow["id"], "parameters": {"x": 1}, "tags": ["etl"], **fields}
    response = await api.post("/api/flow_runs/", json=body)
    assert response.status == 201, await response.text()
    return await response.json()


async def propose(api: TestClient, run_id: str, state_type: str, name: str | None = None,
                  force: bool = False, **details: Any) -> dict[str, Any]:  # fmt: skip
    body = {"state": {"type": state_type, "name": name, "state_details": details}, "force": force}
    response = await api.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.status == 201, await response.text()
    return await response.json()


async def test_a_flow_is_created_once_per_name(api: TestClient) -> None:
    first = await api.post("/api/flows/", json={"name": "nightly", "tags": []})
    again = await api.post("/api/flows/", json={"name": "nightly", "tags": []})
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["id"] == (await again.json())["id"]


async def test_a_flow_created_by_many_clients_at_once_is_created_once(api: TestClient) -> None:
    # Every Prefect client creates its flow before each run: concurrent creates share the
    # writer's transactions, and exactly one of them makes the flow.
    name = f"shared-{uuid4().hex[:8]}"
    responses = await asyncio.gather(
        *(api.post("/api/flows/", json={"name": name, "tags": []}) for _ in range(20))
    )
    assert sorted(response.status for response in responses) == [200] * 19 + [201]
    assert len({(await response.json())["id"] for response in responses}) == 1


async def test_a_new_flow_run_is_pending_and_readable(api: TestClient) -> None:
    run = await make_flow_run(api)
    assert (run["state"]["type"], run["state"]["name"], run["run_count"]) == (
        "PENDING",
        "Pending",
        0,
    )
    read = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert read["id"] == run["id"] and read["parameters"] == {"x": 1}
    assert read["state_id"] == run["state"]["id"]


async def test_entering_running_counts_runs_and_a_final_state_sets_the_end(api: TestClient) -> None:
    run = await make_flow_run(api)
    accepted = await propose(api, run["id"], "RUNNING")
    assert accepted["status"] == "ACCEPT" and accepted["details"]["type"] == "accept_details"
    running = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert running["run_count"] == 1 and running["start_time"] is not None
    await propose(api, run["id"], "COMPLETED")
    done = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert done["state_type"] == "COMPLETED" and done["end_time"] is not None
    assert done["total_run_time"] >= 0
    history = await (await api.get(f"/api/flow_run_states/?flow_run_id={run['id']}")).json()
    assert [state["type"] for state in history] == ["PENDING", "RUNNING", "COMPLETED"]


async def test_a_failed_run_with_retries_left_is_rejected_into_awaiting_retry(
    api: TestClient,
) -> None:
    run = await make_flow_run(api, empirical_policy={"retries": 1, "retry_delay": 0})
    await propose(api, run["id"], "RUNNING")
    answer = await propose(api, run["id"], "FAILED")
    assert answer["status"] == "REJECT"
    assert (answer["state"]["type"], answer["state"]["name"]) == ("SCHEDULED", "AwaitingRetry")
    assert answer["state"]["state_details"]["scheduled_time"] is not None
    await propose(api, run["id"], "RUNNING")
    final = await propose(api, run["id"], "FAILED")  # no retry left
    assert final["status"] == "ACCEPT"
    read = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert (read["state_type"], read["run_count"]) == ("FAILED", 2)


async def test_a_second_submission_is_aborted_but_submitting_is_accepted(api: TestClient) -> None:
    run = await make_flow_run(api, state={"type": "SCHEDULED", "name": "Scheduled"})
    assert (await propose(api, run["id"], "PENDING"))["status"] == "ACCEPT"
    assert (await propose(api, run["id"], "PENDING", "Submitting"))["status"] == "ACCEPT"
    duplicate = await propose(api, run["id"], "PENDING")
    assert duplicate["status"] == "ABORT"
    assert duplicate["details"]["type"] == "abort_details"


async def test_cancelling_is_accepted_and_a_forced_cancelled_ends_the_run(api: TestClient) -> None:
    run = await make_flow_run(api)
    await propose(api, run["id"], "RUNNING")
    assert (await propose(api, run["id"], "CANCELLING"))["status"] == "ACCEPT"
    forced = await propose(api, run["id"], "CANCELLED", force=True)
    assert forced["status"] == "ACCEPT" and forced["state"]["type"] == "CANCELLED"


async def test_patch_changes_only_what_is_sent_and_labels_merge(api: TestClient) -> None:
    run = await make_flow_run(api, labels={"team": "data"})
    response = await api.patch(f"/api/flow_runs/{run['id']}", json={"infrastructure_pid": "4242"})
    assert response.status == 204
    response = await api.patch(f"/api/flow_runs/{run['id']}/labels", json={"worker": "w1"})
    assert response.status == 204
    read = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert read["infrastructure_pid"] == "4242" and read["parameters"] == {"x": 1}
    assert read["labels"] == {"team": "data", "worker": "w1"}


async def test_filter_and_count_find_runs_by_state_and_tag(api: TestClient) -> None:
    running = await make_flow_run(api, tags=["nightly"])
    await propose(api, running["id"], "RUNNING")
    await make_flow_run(api, tags=["hourly"])
    body = {"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}, "tags": {"all_": ["nightly"]}}}
    found = await (await api.post("/api/flow_runs/filter", json=body)).json()
    assert [run["id"] for run in found] == [running["id"]]
    assert await (await api.post("/api/flow_runs/count", json=body)).json() == 1
    assert await (await api.post("/api/flow_runs/count", json={})).json() == 2


async def test_the_subflow_lookup_by_parent_task_run_finds_the_child(api: TestClient) -> None:
    parent = await make_flow_run(api)
    placeholder = await api.post(
        "/api/task_runs/",
        json={"flow_run_id": parent["id"], "task_key": "child", "dynamic_key": "0", "name": "c"},
    )
    assert placeholder.status == 201
    task_run = await placeholder.json()
    child = await make_flow_run(api, parent_task_run_id=task_run["id"])
    body = {
        "flow_runs": {"parent_task_run_id": {"any_": [task_run["id"]]}},
        "sort": "EXPECTED_START_TIME_DESC",
        "limit": 1,
    }
    found = await (await api.post("/api/flow_runs/filter", json=body)).json()
    assert [run["id"] for run in found] == [child["id"]]


async def make_subflow(api: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A flow run's task run, and a child flow run it stands for (a subflow)."""
    parent = await make_flow_run(api)
    task_run = await (
        await api.post(
            "/api/task_runs/",
            json={"flow_run_id": parent["id"], "task_key": "child", "dynamic_key": "0"},
        )
    ).json()
    return task_run, await make_flow_run(api, parent_task_run_id=task_run["id"])


async def test_a_subflow_state_is_mirrored_onto_its_placeholder(
    api: TestClient, drain: Drain
) -> None:
    task_run, child = await make_subflow(api)
    await propose(api, child["id"], "RUNNING")
    await propose(api, child["id"], "COMPLETED")
    await drain()
    mirrored = await (await api.get(f"/api/task_runs/{task_run['id']}")).json()
    assert (mirrored["state_type"], mirrored["run_count"]) == ("COMPLETED", 1)
    assert mirrored["state"]["state_details"]["child_flow_run_id"] == child["id"]
    history = await (await api.get(f"/api/task_run_states/?task_run_id={task_run['id']}")).json()
    assert [s["type"] for s in history] == ["PENDING", "PENDING", "RUNNING", "COMPLETED"]


@pytest.mark.parametrize("names_the_parent", [True, False], ids=["today", "before-parents"])
async def test_an_announcement_as_an_earlier_api_queued_it_still_mirrors_a_subflow(
    api: TestClient, drain: Drain, names_the_parent: bool
) -> None:
    # A literal, as queued before the payload had a class; messages queued before
    # announcements named the parent task run lack the key, and it is read instead.
    task_run, child = await make_subflow(api)
    running = await propose(api, child["id"], "RUNNING")
    await drain()
    # Forget the mirrored states, then announce Running again as an older API wrote it.
    async with api.app[keys.database].sessions.begin() as session:
        await session.execute(
            delete(TaskRunState).where(TaskRunState.task_run_id == UUID(task_run["id"]))
        )
    queued: dict[str, Any] = {
        "flow_run_id": child["id"],
        "state_id": running["state"]["id"],
        "initial_state": {"type": "PENDING", "name": "Pending"},
        "parent_task_run_id": task_run["id"],
    }
    if not names_the_parent:
        queued = {"flow_run_id": child["id"], "state_id": running["state"]["id"],
                  "initial_state": None}  # fmt: skip
    announce_flow_run_states.send([queued])
    await drain()
    mirrored = await (await api.get(f"/api/task_runs/{task_run['id']}")).json()
    assert mirrored["state_type"] == "RUNNING"
    assert mirrored["state"]["state_details"]["child_flow_run_id"] == child["id"]


async def test_deleting_a_flow_run_removes_it(api: TestClient) -> None:
    run = await make_flow_run(api)
    assert (await api.delete(f"/api/flow_runs/{run['id']}")).status == 204
    assert (await api.get(f"/api/flow_runs/{run['id']}")).status == 404
    assert (await api.delete(f"/api/flow_runs/{run['id']}")).status == 404


async def test_cancelling_a_scheduled_run_cancels_it_at_once(api: TestClient) -> None:
    # `prefect flow-run cancel` on a run no worker has picked up: nothing would ever stop it.
    run = await make_flow_run(api, state={"type": "SCHEDULED", "name": "Scheduled"})
    answer = await propose(api, run["id"], "CANCELLING")
    assert answer["status"] == "REJECT"
    assert (answer["state"]["type"], answer["state"]["name"]) == ("CANCELLED", "Cancelled")
    read = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert read["state"]["type"] == "CANCELLED"
    assert read["end_time"] is not None


async def test_cancelling_a_running_run_waits_for_its_process(api: TestClient) -> None:
    run = await make_flow_run(api, state={"type": "RUNNING", "name": "Running"})
    answer = await propose(api, run["id"], "CANCELLING")
    assert (answer["status"], answer["state"]["type"]) == ("ACCEPT", "CANCELLING")
