"""Deployment, work pool, work queue and automation actions: the object named, or the one
the firing is about, run or paused or resumed, once."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from actors.automation_actions import act_on_firing
from models.automations.tables import Automation
from models.db.database import Database
from tests.integration.automations.firings import (
    action_runs_of,
    insert_automation,
    insert_firing,
    latest_flow_run_event,
)
from tests.running import Drain


async def deployment_in_pool(api: TestClient) -> tuple[str, str, str]:
    """A deployment in a new process pool; returns the ids of deployment, pool and queue."""
    pool = await (
        await api.post("/api/work_pools/", json={"name": "night-shift", "type": "process"})
    ).json()
    flow = await (await api.post("/api/flows/", json={"name": "etl-nightly"})).json()
    response = await api.post(
        "/api/deployments/",
        json={
            "name": "nightly",
            "flow_id": flow["id"],
            "work_pool_name": "night-shift",
            "parameters": {"who": "default", "n": 1},
        },
    )
    assert response.status in (200, 201), await response.text()
    deployment = await response.json()
    return deployment["id"], pool["id"], deployment["work_queue_id"]


async def runs_of(api: TestClient, deployment_id: str) -> list[dict[str, object]]:
    response = await api.post(
        "/api/flow_runs/filter",
        json={"flow_runs": {"deployment_id": {"any_": [deployment_id]}}},
    )
    runs: list[dict[str, object]] = await response.json()
    return runs


async def test_run_deployment_makes_one_run_with_rendered_parameters_however_often_it_runs(
    api: TestClient, database: Database, drain: Drain
) -> None:
    deployment_id, _, _ = await deployment_in_pool(api)
    # A first run of the deployment: its event names the deployment for `inferred`.
    response = await api.post(f"/api/deployments/{deployment_id}/create_flow_run", json={})
    first = await response.json()
    event = await latest_flow_run_event(database, first["id"])
    automation_id = await insert_automation(
        database,
        [
            {
                "type": "run-deployment",
                "source": "inferred",
                "parameters": {"who": "{{ flow_run.name }} of {{ deployment.name }}"},
                "schedule_after": 60,
            }
        ],
        name="rerun",
    )
    firing_id = await insert_firing(database, automation_id, event)

    act_on_firing.send(firing_id)
    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert run.status == "succeeded", run.reason
    runs = await runs_of(api, deployment_id)
    [made] = [flow_run for flow_run in runs if flow_run["id"] != first["id"]]
    assert made["id"] == run.details["flow_run_id"]
    assert made["parameters"] == {"who": f"{first['name']} of nightly", "n": 1}
    assert made["created_by"] == {
        "id": str(automation_id),
        "type": "AUTOMATION",
        "display_value": "rerun",
    }
    assert made["state"]["type"] == "SCHEDULED"
    assert made["expected_start_time"] > made["created"]


async def test_run_deployment_of_a_deployment_that_is_gone_fails_without_retrying(
    api: TestClient, database: Database, drain: Drain
) -> None:
    missing = "0b1f7a3c-0000-4000-8000-000000000000"
    automation_id = await insert_automation(
        database, [{"type": "run-deployment", "deployment_id": missing}]
    )
    firing_id = await insert_firing(database, automation_id, None)

    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert (run.status, run.reason, run.attempts) == (
        "failed",
        f"Deployment {missing} not found",
        1,
    )


async def test_pause_then_resume_a_deployment_a_pool_and_a_queue(
    api: TestClient, database: Database, drain: Drain
) -> None:
    deployment_id, pool_id, queue_id = await deployment_in_pool(api)
    selected = {
        "deployment": {"deployment_id": deployment_id},
        "work-pool": {"work_pool_id": pool_id},
        "work-queue": {"work_queue_id": queue_id},
    }
    pause = await insert_automation(
        database, [{"type": f"pause-{kind}", **ids} for kind, ids in selected.items()]
    )
    resume = await insert_automation(
        database, [{"type": f"resume-{kind}", **ids} for kind, ids in selected.items()]
    )

    act_on_firing.send(await insert_firing(database, pause, None))
    await drain()
    deployment = await (await api.get(f"/api/deployments/{deployment_id}")).json()
    pool = await (await api.get("/api/work_pools/night-shift")).json()
    queue = await (await api.get(f"/api/work_queues/{queue_id}")).json()
    assert (deployment["paused"], pool["is_paused"], queue["is_paused"]) == (True, True, True)
    assert pool["status"] == "PAUSED"

    act_on_firing.send(await insert_firing(database, resume, None))
    await drain()
    deployment = await (await api.get(f"/api/deployments/{deployment_id}")).json()
    pool = await (await api.get("/api/work_pools/night-shift")).json()
    queue = await (await api.get(f"/api/work_queues/{queue_id}")).json()
    assert (deployment["paused"], pool["is_paused"], queue["is_paused"]) == (False, False, False)


async def test_pause_automation_inferred_from_an_automation_event_disables_it(
    api: TestClient, database: Database, drain: Drain
) -> None:
    noisy = await insert_automation(database, [{"type": "do-nothing"}], name="noisy")
    event = {
        "id": "5a1c0b52-8f3e-4b27-a7d9-2e5b91c4f038",
        "occurred": "2026-12-07T08:00:00+00:00",
        "event": "prefect.automation.triggered",
        "resource": {"prefect.resource.id": f"prefect.automation.{noisy}"},
        "related": [],
    }
    breaker = await insert_automation(
        database, [{"type": "pause-automation", "source": "inferred"}], name="breaker"
    )

    act_on_firing.send(await insert_firing(database, breaker, event))
    await drain()

    async with database.read_sessions() as session:
        rows = (await session.execute(select(Automation.id, Automation.enabled))).all()
    enabled = {row.id: row.enabled for row in rows}
    assert enabled == {noisy: False, breaker: True}
