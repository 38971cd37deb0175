"""The `prefect.flow-run.<State>` event the server emits when a flow run enters a state.

Runners and Prefect workers subscribe to `prefect.flow-run.Cancelling` to kill a run being
cancelled, and flow processes to `prefect.flow-run.Suspended`; the labels and payload follow
what the reference server emits so their filters match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.orchestration.transitions import State
    from models.runs.flow_runs import FlowRun


def flow_run_state_event(
    flow_run: FlowRun,
    flow_name: str,
    state: State,
    initial_state: dict[str, Any] | None,
) -> dict[str, Any]:
    """The event for `flow_run` entering `state`, as JSON; its id is the state's id."""
    related: list[dict[str, str]] = [
        {
            "prefect.resource.id": f"prefect.flow.{flow_run.flow_id}",
            "prefect.resource.role": "flow",
            "prefect.resource.name": flow_name,
        }
    ]
    if flow_run.deployment_id is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.deployment.{flow_run.deployment_id}",
                "prefect.resource.role": "deployment",
            }
        )
    if flow_run.work_queue_id is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.work-queue.{flow_run.work_queue_id}",
                "prefect.resource.role": "work-queue",
                "prefect.resource.name": flow_run.work_queue_name or "",
            }
        )
    if flow_run.work_pool_id is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.work-pool.{flow_run.work_pool_id}",
                "prefect.resource.role": "work-pool",
                "prefect.resource.name": flow_run.work_pool_name or "",
            }
        )
    related.extend(
        {"prefect.resource.id": f"prefect.tag.{tag}", "prefect.resource.role": "tag"}
        for tag in flow_run.tags or []
    )
    timestamp = state.timestamp.isoformat()
    return {
        "id": str(state.id),
        "occurred": timestamp,
        "event": f"prefect.flow-run.{state.name}",
        "resource": {
            "prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
            "prefect.resource.name": flow_run.name,
            "prefect.run-count": str(flow_run.run_count),
            "prefect.state-message": state.message or "",
            "prefect.state-name": state.name,
            "prefect.state-timestamp": timestamp,
            "prefect.state-type": state.type.value,
        },
        "related": related,
        "payload": {
            "intended": {
                "from": (initial_state or {}).get("type"),
                "to": state.type.value,
            },
            "initial_state": initial_state,
            "validated_state": {"type": state.type.value, "name": state.name},
        },
        "follows": None,
    }
