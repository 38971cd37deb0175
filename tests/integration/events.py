"""Events as the Prefect client sends them, for the websocket and actor tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

BASE_TIME = datetime(2026, 11, 25, 18, 1, 44, tzinfo=UTC)


def task_run_event(
    task_run_id: str,
    flow_run_id: str,
    state_type: str,
    state_name: str,
    *,
    seconds: float,
    run_count: int = 1,
    follows: str | None = None,
) -> dict[str, Any]:
    """A `prefect.task-run.<State>` event `seconds` after BASE_TIME (copied from a trace)."""
    occurred = (BASE_TIME + timedelta(seconds=seconds)).isoformat()
    return {
        "id": str(uuid4()),
        "occurred": occurred,
        "event": f"prefect.task-run.{state_name}",
        "resource": {
            "prefect.resource.id": f"prefect.task-run.{task_run_id}",
            "prefect.resource.name": "add-4b4",
            "prefect.run-count": str(run_count),
            "prefect.state-message": "",
            "prefect.state-name": state_name,
            "prefect.state-timestamp": occurred,
            "prefect.state-type": state_type,
            "prefect.orchestration": "client",
        },
        "related": [
            {
                "prefect.resource.id": f"prefect.flow-run.{flow_run_id}",
                "prefect.resource.role": "flow-run",
                "prefect.resource.name": "accomplished-angelfish",
            },
            {"prefect.resource.id": "prefect.tag.etl", "prefect.resource.role": "tag"},
        ],
        "payload": {
            "intended": {"from": None, "to": state_type},
            "initial_state": None,
            "validated_state": {
                "type": state_type,
                "name": state_name,
                "message": "",
                "state_details": {},
                "data": None,
            },
            "task_run": {
                "name": "add-4b4",
                "task_key": "add-40f1afe9",
                "dynamic_key": "4b4ff9cc-26d9-43df-a529-89f88850405a",
                "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": 0},
                "tags": ["etl"],
                "labels": {},
                "task_inputs": {"x": [], "y": []},
                "run_count": run_count,
                "flow_run_run_count": 1,
                "expected_start_time": BASE_TIME.isoformat(),
                "total_run_time": 0.0,
            },
        },
        "follows": follows,
    }


def task_run_lifecycle(task_run_id: str, flow_run_id: str) -> list[dict[str, Any]]:
    """Pending, Running, Completed of one task run, each following the one before."""
    pending = task_run_event(task_run_id, flow_run_id, "PENDING", "Pending", seconds=0)
    running = task_run_event(
        task_run_id, flow_run_id, "RUNNING", "Running", seconds=0.1, follows=pending["id"]
    )
    completed = task_run_event(
        task_run_id, flow_run_id, "COMPLETED", "Completed", seconds=0.2, follows=running["id"]
    )
    return [pending, running, completed]
