"""`prefect flow-run cancel` of a running run, under a process worker and under `flow.serve`.

The unmodified Prefect 3.9.1 CLI proposes CANCELLING; the server tells the worker or the
served process on the events socket (its polling fallback would come minutes later), which
kills the flow's process and ends the run CANCELLED. Against a live `signalbox server start`,
and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 against Prefect's own server too.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Final

import pytest

from tests.compat.deployments.harness import (
    CANCELLING_TIMEOUT_SECONDS,
    PrefectClient,
    json_arg,
    read_flow_run,
    served,
    state_history,
    unique,
    wait_for,
)
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

FLOW: Final = "compat-sleep-then-mark"
#: Seconds from `prefect flow-run cancel` to CANCELLED: the news travels on the events socket
#: (the clients' own polling for cancelling runs is minutes apart), then the process is
#: killed after a grace period of a few seconds.
CANCELLED_WITHIN_SECONDS: Final = 30.0


def wait_until_started(client: PrefectClient, flow_run_id: str, marker: Path) -> None:
    wait_for(
        lambda: marker.read_text() if marker.exists() else "",
        lambda text: f"started {flow_run_id}" in text,
        what="the flow started",
        timeout=120,
        watch=client,
    )


def cancel_running_run(client: PrefectClient, flow_run_id: str, marker: Path) -> None:
    """Wait until the flow sleeps, cancel it with the CLI, and check it ends CANCELLED."""
    wait_until_started(client, flow_run_id, marker)
    assert read_flow_run(client.api_url, flow_run_id)["state"]["type"] == "RUNNING"
    client.cli("flow-run", "cancel", flow_run_id)
    run = wait_for(
        lambda: read_flow_run(client.api_url, flow_run_id),
        lambda run: run["state"]["type"] == "CANCELLED",
        what="the run cancelled",
        timeout=CANCELLED_WITHIN_SECONDS,
        watch=client,
    )
    types = [state["type"] for state in state_history(client.api_url, flow_run_id)]
    assert types[-3:] == ["RUNNING", "CANCELLING", "CANCELLED"], types
    assert run["end_time"] is not None
    assert f"finished {flow_run_id}" not in marker.read_text()


def test_cancelling_a_run_under_a_process_worker_ends_it_cancelled(
    server: RunningServer, client: PrefectClient
) -> None:
    pool = unique("process-pool")
    client.cli("work-pool", "create", pool, "--type", "process")
    marker = client.project / "marks.txt"
    name = unique("sleeper")
    options = json_arg({"parameters": {"marker": str(marker), "seconds": 120}})
    entrypoint = "deployed_flows.py:sleep_then_mark"
    client.script("deploy_from_source", str(client.project), entrypoint, pool, name, options)
    client.start("worker", "worker", "start", "--pool", pool, "--name", "canceller")
    (flow_run_id,) = client.script("create_deployment_runs", f"{FLOW}/{name}", "1", "{}")[
        "flow_run_ids"
    ]
    cancel_running_run(client, flow_run_id, marker)


def test_cancelling_a_served_run_ends_it_cancelled(
    server: RunningServer, client: PrefectClient
) -> None:
    marker = client.project / "marks.txt"
    deployment = served(
        client, "sleep_then_mark", {"parameters": {"marker": str(marker), "seconds": 120}}
    )
    (flow_run_id,) = client.script(
        "create_deployment_runs", f"{FLOW}/{deployment['name']}", "1", "{}"
    )["flow_run_ids"]
    cancel_running_run(client, flow_run_id, marker)


def test_cancelling_a_run_whose_worker_and_process_are_gone_ends_it_cancelled(
    server: RunningServer, client: PrefectClient
) -> None:
    """Nobody is left to stop the run: the server's cancelling timeout ends it CANCELLED.

    A Prefect 3.9.1 worker only cancels the runs it is still submitting, so a started run whose
    worker and flow process were killed stays CANCELLING until the server gives up on it.
    """
    pool = unique("process-pool")
    client.cli("work-pool", "create", pool, "--type", "process")
    marker = client.project / "marks.txt"
    name = unique("orphan")
    options = json_arg({"parameters": {"marker": str(marker), "seconds": 120}})
    entrypoint = "deployed_flows.py:sleep_then_mark"
    client.script("deploy_from_source", str(client.project), entrypoint, pool, name, options)
    worker = client.start("worker", "worker", "start", "--pool", pool, "--name", "lost")
    (flow_run_id,) = client.script("create_deployment_runs", f"{FLOW}/{name}", "1", "{}")[
        "flow_run_ids"
    ]
    wait_until_started(client, flow_run_id, marker)
    client.kill(worker)
    infrastructure_pid = read_flow_run(client.api_url, flow_run_id)["infrastructure_pid"]
    if infrastructure_pid:  # "<host>:<pid>": the flow's process, gone with the worker or now
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(infrastructure_pid.rsplit(":", 1)[-1]), signal.SIGKILL)
    assert read_flow_run(client.api_url, flow_run_id)["state"]["type"] == "RUNNING"

    client.cli("flow-run", "cancel", flow_run_id)
    run = wait_for(
        lambda: read_flow_run(client.api_url, flow_run_id),
        lambda run: run["state"]["type"] == "CANCELLED",
        what="the orphaned run cancelled",
        timeout=CANCELLING_TIMEOUT_SECONDS + 30,
    )
    types = [state["type"] for state in state_history(client.api_url, flow_run_id)]
    assert types[-3:] == ["RUNNING", "CANCELLING", "CANCELLED"], types
    assert run["end_time"] is not None
    assert "timed out" in run["state"]["message"], run["state"]
    assert f"finished {flow_run_id}" not in marker.read_text()
