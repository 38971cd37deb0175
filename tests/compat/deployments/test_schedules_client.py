"""Schedules and the scheduler, as the unmodified Prefect 3.9.1 CLI and client see them.

`prefect deployment schedule create --cron "0 9 * * *" --timezone America/New_York` makes the
scheduler create the next runs at 09:00 New York time (as many as Prefect's defaults ask
for: three, for a daily schedule); pausing the deployment with the client's
`pause_deployment` removes them and resuming brings them back. A run no worker picks up is
marked Late. Against a live `signalbox server start`, and with
SIGNALBOX_TEST_REFERENCE_PREFECT=1 against Prefect's own server too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Final
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim

from tests.compat.deployments.harness import (
    PrefectClient,
    deployment_runs,
    json_arg,
    read_deployment,
    read_flow_run,
    state_history,
    unique,
    wait_for,
    when,
)
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

FLOW: Final = "compat-append-run-id"
CRON: Final = "0 9 * * *"
TIME_ZONE: Final = "America/New_York"
#: Runs the scheduler keeps ahead of a daily schedule: Prefect's minimum count of runs.
RUNS_AHEAD: Final = 3


def upcoming_cron_times(after: datetime, count: int) -> list[datetime]:
    """The next `count` times of CRON in TIME_ZONE after `after`, in UTC."""
    local = after.astimezone(ZoneInfo(TIME_ZONE))
    return [time.astimezone(UTC) for time in islice(CronSim(CRON, local), count)]


def scheduled_times(api_url: str, deployment_id: str) -> list[datetime]:
    runs = deployment_runs(api_url, deployment_id)
    return [when(run["expected_start_time"]) for run in runs if run["state"]["type"] == "SCHEDULED"]


def test_a_cron_schedule_in_a_time_zone_creates_its_runs_and_pausing_removes_them(
    server: RunningServer, client: PrefectClient
) -> None:
    pool = unique("process-pool")
    client.cli("work-pool", "create", pool, "--type", "process")
    name = unique("daily")
    options = json_arg({"parameters": {"marker": str(client.project / "runs.txt")}})
    entrypoint = "deployed_flows.py:append_run_id"
    client.script("deploy_from_source", str(client.project), entrypoint, pool, name, options)
    deployment = read_deployment(server.api_url, FLOW, name)
    assert deployment["schedules"] == []

    client.cli(
        "deployment", "schedule", "create", f"{FLOW}/{name}",
        "--cron", CRON, "--timezone", TIME_ZONE,
    )  # fmt: skip
    (schedule,) = read_deployment(server.api_url, FLOW, name)["schedules"]
    assert schedule["schedule"] == {"cron": CRON, "timezone": TIME_ZONE, "day_or": True}
    assert schedule["active"] is True
    expected = upcoming_cron_times(datetime.now(UTC), RUNS_AHEAD)
    wait_for(
        lambda: scheduled_times(server.api_url, deployment["id"]),
        lambda times: times == expected,
        what=f"the scheduled runs at {[time.isoformat() for time in expected]}",
        timeout=60,
    )
    runs = deployment_runs(server.api_url, deployment["id"])
    assert all(run["auto_scheduled"] for run in runs)
    assert {run["state"]["name"] for run in runs} == {"Scheduled"}
    assert all(when(run["expected_start_time"]).astimezone(ZoneInfo(TIME_ZONE)).hour == 9
               for run in runs)  # fmt: skip

    assert client.script("pause_deployment", f"{FLOW}/{name}", "pause") == {"paused": True}
    assert deployment_runs(server.api_url, deployment["id"]) == []

    assert client.script("pause_deployment", f"{FLOW}/{name}", "resume") == {"paused": False}
    wait_for(
        lambda: scheduled_times(server.api_url, deployment["id"]),
        lambda times: times == upcoming_cron_times(datetime.now(UTC), RUNS_AHEAD),
        what="the scheduled runs back once resumed",
        timeout=60,
    )


def test_a_run_no_worker_picks_up_is_marked_late(
    server: RunningServer, client: PrefectClient
) -> None:
    pool = unique("process-pool")
    client.cli("work-pool", "create", pool, "--type", "process")
    name = unique("unattended")
    options = json_arg({"parameters": {"marker": str(client.project / "runs.txt")}})
    entrypoint = "deployed_flows.py:append_run_id"
    client.script("deploy_from_source", str(client.project), entrypoint, pool, name, options)
    (flow_run_id,) = client.script("create_deployment_runs", f"{FLOW}/{name}", "1", "{}")[
        "flow_run_ids"
    ]
    # Prefect's grace period is 15 s; the late-runs service looks every few seconds.
    run = wait_for(
        lambda: read_flow_run(server.api_url, flow_run_id),
        lambda run: run["state"]["name"] == "Late",
        what="the run marked Late",
        timeout=60,
    )
    assert run["state"]["type"] == "SCHEDULED"
    names = [state["name"] for state in state_history(server.api_url, flow_run_id)]
    assert names == ["Scheduled", "Late"]
