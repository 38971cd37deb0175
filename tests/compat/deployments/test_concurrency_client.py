"""A deployment's concurrency limit, as the unmodified Prefect 3.9.1 client sets and meets it.

A served deployment with `global_limit=ConcurrencyLimitConfig(limit=1, ...)`: with ENQUEUE its
runs run one after another, with CANCEL_NEW the runs beyond the limit end CANCELLED. Against a
live `signalbox server start`, and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 against Prefect's
own server too.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from tests.compat.deployments.harness import (
    PrefectClient,
    json_arg,
    read_flow_run,
    served,
    state_history,
    wait_for,
)
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def start_runs(
    client: PrefectClient, deployment: dict[str, Any], count: int, seconds: float
) -> list[str]:
    """Create `count` runs of the served deployment at once; their ids."""
    name = f"compat-append-run-id/{deployment['name']}"
    parameters = json_arg({"seconds": seconds, "label": ""})
    result = client.script("create_deployment_runs", name, str(count), parameters)
    return list(result["flow_run_ids"])


def final_runs(client: PrefectClient, flow_run_ids: list[str]) -> list[dict[str, Any]]:
    return wait_for(
        lambda: [read_flow_run(client.api_url, run_id) for run_id in flow_run_ids],
        lambda runs: all(run["state"]["type"] in TERMINAL for run in runs),
        what="every run ended",
        timeout=150,
        watch=client,
    )


def running_interval(api_url: str, flow_run_id: str) -> tuple[datetime, datetime]:
    """When the run entered RUNNING and when it left it."""
    states = state_history(api_url, flow_run_id)
    types = [state["type"] for state in states]
    start = types.index("RUNNING")
    return (
        datetime.fromisoformat(states[start]["timestamp"]),
        datetime.fromisoformat(states[start + 1]["timestamp"]),
    )


def test_a_limit_of_one_with_enqueue_runs_the_runs_one_after_another(
    server: RunningServer, client: PrefectClient
) -> None:
    marker = client.project / "runs.txt"
    limit = {"limit": 1, "collision_strategy": "ENQUEUE"}
    deployment = served(
        client, "append_run_id", {"parameters": {"marker": str(marker)}, "concurrency": limit}
    )
    assert deployment["concurrency_limit"] is None  # deprecated: always None, as in Prefect
    assert deployment["global_concurrency_limit"]["limit"] == 1
    assert deployment["global_concurrency_limit"]["name"] == f"deployment:{deployment['id']}"
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"

    flow_run_ids = start_runs(client, deployment, 3, seconds=2)
    runs = final_runs(client, flow_run_ids)
    assert [run["state"]["type"] for run in runs] == ["COMPLETED"] * 3, client.logs()
    intervals = sorted(running_interval(server.api_url, run_id) for run_id in flow_run_ids)
    for (_, ended), (started, _) in pairwise(intervals):
        assert started >= ended, intervals
    waited = [
        state["name"]
        for run_id in flow_run_ids
        for state in state_history(server.api_url, run_id)
        if state["type"] == "SCHEDULED"
    ]
    assert "AwaitingConcurrencySlot" in waited  # at least one run was held back


def test_a_limit_of_one_with_cancel_new_cancels_the_extra_runs(
    server: RunningServer, client: PrefectClient
) -> None:
    marker = client.project / "runs.txt"
    limit = {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    deployment = served(
        client, "append_run_id", {"parameters": {"marker": str(marker)}, "concurrency": limit}
    )
    assert deployment["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"

    flow_run_ids = start_runs(client, deployment, 3, seconds=8)
    runs = final_runs(client, flow_run_ids)
    types = sorted(run["state"]["type"] for run in runs)
    assert types == ["CANCELLED", "CANCELLED", "COMPLETED"], client.logs()
    (completed,) = [run for run in runs if run["state"]["type"] == "COMPLETED"]
    assert marker.read_text().splitlines() == [f"{completed['id']} {runs.index(completed)}"]
    for run in runs:
        if run["state"]["type"] == "CANCELLED":
            assert run["run_count"] == 0
            assert "RUNNING" not in [s["type"] for s in state_history(server.api_url, run["id"])]
