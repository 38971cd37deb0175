"""Process work pools and Prefect workers, with the unmodified Prefect 3.9.1 client and CLI.

`prefect work-pool create --type process`, a deployment made with `flow.from_source(...)
.deploy(...)` and one made with `prefect deploy` from a prefect.yaml, and two `prefect worker
start` processes polling the one pool: every run executes exactly once. The CLI's reads of
deployments, work pools and work queues show them. Against a live `signalbox server start`,
and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 against Prefect's own server too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compat.deployments.harness import (
    PrefectClient,
    deployment_runs,
    json_arg,
    read_deployment,
    read_flow_run,
    state_history,
    unique,
    wait_for,
)
from tests.compat.expectations import call_api
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

FLOW: str = "compat-append-run-id"
#: Runs made of each of the two deployments.
RUNS_PER_DEPLOYMENT = 5
#: The states a run can end in.
ENDED = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def create_process_pool(client: PrefectClient) -> str:
    pool = unique("process-pool")
    output = client.cli("work-pool", "create", pool, "--type", "process")
    assert pool in output
    return pool


def deploy_from_source(
    client: PrefectClient,
    pool: str,
    parameters: dict[str, Any],
    job_variables: dict[str, Any] | None = None,
) -> str:
    """A deployment of append_run_id made by `flow.from_source(<project>).deploy(...)`."""
    name = unique("from-source")
    options = json_arg({"parameters": parameters, "job_variables": job_variables})
    entrypoint = "deployed_flows.py:append_run_id"
    client.script("deploy_from_source", str(client.project), entrypoint, pool, name, options)
    return name


def deploy_with_prefect_yaml(
    client: PrefectClient,
    pool: str,
    parameters: dict[str, Any],
    job_variables: dict[str, Any],
) -> str:
    """A deployment of append_run_id made by `prefect deploy` from the project's prefect.yaml."""
    name = unique("prefect-yaml")
    project = {
        "name": "compat-project",
        "prefect-version": "3.9.1",
        "build": None,
        "push": None,
        "pull": [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(client.project)}}
        ],
        "deployments": [
            {
                "name": name,
                "entrypoint": "deployed_flows.py:append_run_id",
                "parameters": parameters,
                "work_pool": {"name": pool, "job_variables": job_variables},
            }
        ],
    }
    # JSON is YAML: the file reads the same to `prefect deploy`.
    (client.project / "prefect.yaml").write_text(json.dumps(project, indent=2))
    client.cli("--no-prompt", "deploy", "--name", name)
    return name


def online_workers(api_url: str, pool: str) -> list[str]:
    workers = call_api(api_url, "POST", f"/work_pools/{pool}/workers/filter", {})
    return sorted(worker["name"] for worker in workers if worker["status"] == "ONLINE")


def test_two_process_workers_run_a_batch_of_runs_each_exactly_once(
    server: RunningServer, client: PrefectClient
) -> None:
    pool = create_process_pool(client)
    marker = client.project / "runs.txt"
    parameters = {"marker": str(marker), "label": ""}
    # Each deployment passes the runs' process an environment variable: a job variable.
    origins = ["from-source", "prefect-yaml"]
    names = [
        deploy_from_source(client, pool, parameters, {"env": {"COMPAT_ORIGIN": origins[0]}}),
        deploy_with_prefect_yaml(client, pool, parameters, {"env": {"COMPAT_ORIGIN": origins[1]}}),
    ]
    for name, origin in zip(names, origins, strict=True):
        deployment = read_deployment(server.api_url, FLOW, name)
        assert deployment["work_pool_name"] == pool
        assert deployment["work_queue_name"] == "default"
        assert deployment["parameters"] == parameters
        assert deployment["job_variables"] == {"env": {"COMPAT_ORIGIN": origin}}

    for worker in ("worker-a", "worker-b"):
        client.start(worker, "worker", "start", "--pool", pool, "--name", worker)
    wait_for(
        lambda: online_workers(server.api_url, pool),
        lambda names: names == ["worker-a", "worker-b"],
        what="both workers online",
        timeout=90,
        watch=client,
    )
    count = str(RUNS_PER_DEPLOYMENT)
    flow_run_ids = [
        run_id
        for name in names
        for run_id in client.script(
            "create_deployment_runs", f"{FLOW}/{name}", count, json_arg(parameters)
        )["flow_run_ids"]
    ]

    runs = wait_for(
        lambda: [read_flow_run(server.api_url, run_id) for run_id in flow_run_ids],
        lambda runs: all(run["state"]["type"] in ENDED for run in runs),
        what="every run ended",
        timeout=240,
        watch=client,
    )
    assert [run["state"]["type"] for run in runs] == ["COMPLETED"] * len(runs), client.logs()
    assert [run["run_count"] for run in runs] == [1] * len(runs)
    for run in runs:
        history = [state["type"] for state in state_history(server.api_url, run["id"])]
        assert history.count("RUNNING") == 1, (run["id"], history)
        assert run["work_pool_name"] == pool
    written = sorted(marker.read_text().splitlines())
    expected = sorted(
        f"{run['id']} {index % RUNS_PER_DEPLOYMENT} {origins[index // RUNS_PER_DEPLOYMENT]}"
        for index, run in enumerate(runs)
    )
    assert written == expected
    picked_by = {run["labels"].get("prefect.worker.name") for run in runs}
    assert picked_by <= {"worker-a", "worker-b"}


def test_the_cli_lists_and_inspects_deployments_work_pools_and_queues(
    server: RunningServer, client: PrefectClient
) -> None:
    pool = create_process_pool(client)
    marker = client.project / "runs.txt"
    name = deploy_from_source(client, pool, {"marker": str(marker)})
    deployment = read_deployment(server.api_url, FLOW, name)

    assert f"{FLOW}/{name}" in client.cli("deployment", "ls")
    inspected = client.cli("deployment", "inspect", f"{FLOW}/{name}")
    assert deployment["id"] in inspected
    assert pool in inspected
    started = client.cli("deployment", "run", f"{FLOW}/{name}")
    (run,) = wait_for(
        lambda: deployment_runs(server.api_url, deployment["id"]),
        lambda runs: len(runs) == 1,
        what="the run `prefect deployment run` created",
        timeout=30,
    )
    assert run["id"] in started
    assert run["state"]["type"] == "SCHEDULED"
    assert run["work_pool_name"] == pool

    assert pool in client.cli("work-pool", "ls")
    inspected_pool = client.cli("work-pool", "inspect", pool)
    assert pool in inspected_pool
    assert "process" in inspected_pool
    queues = client.cli("work-queue", "ls", "--pool", pool)
    assert "default" in queues


def test_a_worker_that_stops_heartbeating_goes_offline_and_its_pool_not_ready(
    server: RunningServer, client: PrefectClient
) -> None:
    pool = create_process_pool(client)
    name = deploy_from_source(client, pool, {"marker": str(client.project / "runs.txt")})
    assert call_api(server.api_url, "GET", f"/work_pools/{pool}")["status"] == "NOT_READY"
    worker = client.start("worker", "worker", "start", "--pool", pool, "--name", "lost")

    def statuses() -> dict[str, Any]:
        workers = call_api(server.api_url, "POST", f"/work_pools/{pool}/workers/filter", {})
        return {
            "workers": [(worker["name"], worker["status"]) for worker in workers],
            "pool": call_api(server.api_url, "GET", f"/work_pools/{pool}")["status"],
            "queue": call_api(server.api_url, "GET", f"/work_pools/{pool}/queues/default")[
                "status"
            ],
            "deployment": read_deployment(server.api_url, FLOW, name)["status"],
        }

    ready = {
        "workers": [("lost", "ONLINE")],
        "pool": "READY",
        "queue": "READY",
        "deployment": "READY",
    }
    wait_for(statuses, lambda seen: seen == ready, what="all ready", timeout=90,
             watch=client)  # fmt: skip
    client.kill(worker)
    gone = {
        "workers": [("lost", "OFFLINE")],
        "pool": "NOT_READY",
        "queue": "NOT_READY",
        "deployment": "NOT_READY",
    }
    wait_for(statuses, lambda seen: seen == gone, what="all not ready", timeout=90)
