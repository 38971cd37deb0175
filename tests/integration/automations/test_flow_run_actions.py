"""Flow-run actions: the flow run is inferred from the firing, and its state is proposed
through the orchestration rules as a client's would be."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from actors.automation_actions import act_on_firing
from models.db.database import Database
from tests.integration.automations.firings import (
    action_runs_of,
    automation_events,
    flow_run_state,
    insert_automation,
    insert_firing,
    latest_flow_run_event,
    start_flow_run,
)
from tests.running import Drain


async def test_cancel_flow_run_cancels_the_run_the_event_is_about_once(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(database, [{"type": "cancel-flow-run"}])
    flow_run_id = await start_flow_run(api, tags=["nightly"])
    event = await latest_flow_run_event(database, flow_run_id)
    firing_id = await insert_firing(database, automation_id, event)

    act_on_firing.send(firing_id)
    act_on_firing.send(firing_id)
    await drain()

    assert await flow_run_state(api, flow_run_id) == ("CANCELLING", "Cancelling")
    history = await (await api.get(f"/api/flow_run_states/?flow_run_id={flow_run_id}")).json()
    cancelling = [state for state in history if state["type"] == "CANCELLING"]
    assert len(cancelling) == 1
    assert cancelling[0]["message"] == f"Cancelled by Automation {automation_id}"
    [run] = await action_runs_of(database, firing_id)
    assert run.status == "succeeded"
    executed = (await automation_events(database, automation_id))[-1]
    assert executed.event == "prefect.automation.action.executed"
    assert {
        "prefect.resource.id": f"prefect.flow-run.{flow_run_id}",
        "prefect.resource.role": "target",
    } in executed.related


async def test_a_proactive_firing_finds_its_flow_run_in_the_bucket_labels(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(database, [{"type": "cancel-flow-run"}])
    flow_run_id = await start_flow_run(api)
    firing_id = await insert_firing(
        database,
        automation_id,
        None,  # a proactive trigger fires because no event came
        labels={"prefect.resource.id": f"prefect.flow-run.{flow_run_id}"},
    )

    act_on_firing.send(firing_id)
    await drain()

    assert (await flow_run_state(api, flow_run_id))[0] == "CANCELLING"


async def test_change_flow_run_state_refused_by_the_rules_fails_with_their_reason(
    api: TestClient, database: Database, drain: Drain
) -> None:
    # A run already RUNNING is refused a second PENDING: it was submitted once already.
    resubmit = {"type": "change-flow-run-state", "state": "PENDING"}
    automation_id = await insert_automation(
        database, [resubmit, {**resubmit, "force": True, "message": "again"}]
    )
    flow_run_id = await start_flow_run(api, states=("RUNNING",))
    event = await latest_flow_run_event(database, flow_run_id)
    firing_id = await insert_firing(database, automation_id, event)

    act_on_firing.send(firing_id)
    await drain()

    refused, forced = await action_runs_of(database, firing_id)
    assert refused.status == "failed"
    assert refused.reason is not None and refused.reason.startswith("Failed to set state: ")
    assert forced.status == "succeeded"
    assert await flow_run_state(api, flow_run_id) == ("PENDING", "Pending")
    events = await automation_events(database, automation_id)
    [failed] = [row for row in events if row.event == "prefect.automation.action.failed"]
    assert failed.payload["reason"] == refused.reason


async def test_an_action_on_a_flow_run_that_cannot_be_inferred_fails(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(database, [{"type": "suspend-flow-run"}])
    firing_id = await insert_firing(database, automation_id, None)

    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert (run.status, run.reason) == ("failed", "No flow run could be inferred")


async def test_delete_flow_run_deletes_it_and_a_second_firing_finds_nothing_to_do(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(database, [{"type": "delete-flow-run"}])
    flow_run_id = await start_flow_run(api, states=("RUNNING", "FAILED"))
    event = await latest_flow_run_event(database, flow_run_id)
    first = await insert_firing(database, automation_id, event)
    second = await insert_firing(database, automation_id, event)

    act_on_firing.send(first)
    await drain()
    act_on_firing.send(second)
    await drain()

    assert (await api.get(f"/api/flow_runs/{flow_run_id}")).status == 404
    assert [run.status for run in await action_runs_of(database, second)] == ["succeeded"]


async def test_a_run_of_a_deployment_is_suspended_then_resumed_and_a_run_without_one_is_not(
    api: TestClient, database: Database, drain: Drain
) -> None:
    flow = await (await api.post("/api/flows/", json={"name": "etl-nightly"})).json()
    deployment = await (
        await api.post("/api/deployments/", json={"name": "nightly", "flow_id": flow["id"]})
    ).json()
    run = await (
        await api.post(f"/api/deployments/{deployment['id']}/create_flow_run", json={})
    ).json()
    for state_type in ("PENDING", "RUNNING"):
        response = await api.post(
            f"/api/flow_runs/{run['id']}/set_state", json={"state": {"type": state_type}}
        )
        assert (await response.json())["status"] == "ACCEPT"
    alone = await start_flow_run(api)
    suspend = await insert_automation(database, [{"type": "suspend-flow-run"}])
    resume = await insert_automation(database, [{"type": "resume-flow-run"}])

    suspended = await insert_firing(
        database, suspend, await latest_flow_run_event(database, run["id"])
    )
    refused = await insert_firing(database, suspend, await latest_flow_run_event(database, alone))
    act_on_firing.send(suspended)
    act_on_firing.send(refused)
    await drain()

    assert await flow_run_state(api, run["id"]) == ("PAUSED", "Suspended")
    [failed] = await action_runs_of(database, refused)
    assert failed.reason == "Failed to set state: Cannot suspend flows without a deployment."
    assert await flow_run_state(api, alone) == ("RUNNING", "Running")

    resumed = await insert_firing(
        database, resume, await latest_flow_run_event(database, run["id"])
    )
    act_on_firing.send(resumed)
    await drain()

    assert await flow_run_state(api, run["id"]) == ("SCHEDULED", "Resuming")
