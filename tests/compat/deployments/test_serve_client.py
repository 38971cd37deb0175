"""The unmodified Prefect 3.9.1 client serves deployments and runs them from another process.

`flow.serve` with an interval schedule runs its runs on time; `run_deployment` from a second
process gets back the COMPLETED run with its parameters. Against a live `signalbox server
start` (scheduler and all), and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 against Prefect's own
server too, with the same assertions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import pytest

from tests.compat.deployments.harness import (
    PrefectClient,
    deployment_runs,
    json_arg,
    served,
    state_history,
    wait_for,
    when,
)
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

#: The served interval, in seconds.
INTERVAL_SECONDS: Final = 10
#: How late a scheduled run may be handed to the runner (its PENDING state) and still count
#: as on time: a runner polls each second for runs due within 10 s and claims each at once.
#: It then starts a python process for the run, which waits for the scheduled time unless
#: its imports take longer: on a loaded machine they took 48 s, so the start itself is the
#: client's and only checked not to be early.
ON_TIME_SECONDS: Final = 20.0


def test_a_served_flow_with_an_interval_schedule_runs_on_time(
    server: RunningServer, client: PrefectClient
) -> None:
    marker = client.project / "runs.txt"
    options = {"interval": INTERVAL_SECONDS, "parameters": {"marker": str(marker)}}
    deployment = served(client, "append_run_id", options)
    (schedule,) = deployment["schedules"]
    assert schedule["schedule"]["interval"] == INTERVAL_SECONDS
    assert schedule["active"] is True

    runs = wait_for(
        lambda: deployment_runs(server.api_url, deployment["id"]),
        lambda runs: sum(run["state"]["type"] == "COMPLETED" for run in runs) >= 2,
        what="two scheduled runs completed",
        timeout=120,
        watch=client,
    )
    anchor = when(schedule["schedule"]["anchor_date"])
    completed = [run for run in runs if run["state"]["type"] == "COMPLETED"]
    for run in completed:
        expected = when(run["expected_start_time"])
        offset = (expected - anchor).total_seconds()
        assert offset % INTERVAL_SECONDS == pytest.approx(0, abs=1e-3), run
        pending = next(
            state
            for state in state_history(server.api_url, run["id"])
            if state["type"] == "PENDING"
        )
        assert (when(pending["timestamp"]) - expected).total_seconds() <= ON_TIME_SECONDS, run
        assert (when(run["start_time"]) - expected).total_seconds() >= -1.0, run
        assert run["auto_scheduled"] is True
        assert run["parameters"] == {"marker": str(marker)}
    written = marker.read_text().splitlines()
    for run in completed:
        assert written.count(f"{run['id']} ") == 1
    assert all(when(run["expected_start_time"]) > anchor - timedelta(seconds=1) for run in runs)


def test_run_deployment_from_another_process_returns_the_completed_run_with_its_parameters(
    server: RunningServer, client: PrefectClient
) -> None:
    marker = client.project / "runs.txt"
    defaults = {"marker": str(marker), "label": "default"}
    deployment = served(client, "append_run_id", {"parameters": defaults})
    assert deployment["parameters"] == defaults
    assert deployment["schedules"] == []

    given = {"label": "given", "seconds": 0.5}
    result = client.script(
        "run_deployment", f"compat-append-run-id/{deployment['name']}", json_arg(given)
    )
    assert result["state_type"] == "COMPLETED"
    assert result["deployment_id"] == deployment["id"]
    assert result["parameters"] == {**defaults, **given}
    assert marker.read_text().splitlines() == [f"{result['flow_run_id']} given"]
