"""What the compat tests of deployments, schedules, work pools and cancellation share.

Those tests need the server's periodic services (the scheduler, late runs, the foreman that
marks silent workers offline), so Signalbox runs whole, as `signalbox server start` with its
clock (conftest.py); with SIGNALBOX_TEST_REFERENCE_PREFECT=1 the same tests also run against
Prefect 3.9.1's server, with its services looking every second or two.

Each test gets a project folder holding `flows/deployed_flows.py` (the flows its deployments
run, loaded by entrypoint) and a `PrefectClient` that runs the Prefect CLI, scripts and
long-lived processes (`flow.serve`, `prefect worker start`) from the Prefect virtualenv in it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar
from uuid import uuid4

from tests.compat.expectations import NotYetThere, call_api
from tests.compat.prefect_client import (
    client_environ,
    parse_result,
    prefect_python,
    stop_process_group,
)

T = TypeVar("T")

#: Set to "1" to run these tests against Prefect's own server as well as Signalbox.
REFERENCE: Final = os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") == "1"

COMPAT: Final = Path(__file__).parent.parent
SCRIPTS: Final = COMPAT / "scripts"
DEPLOYED_FLOWS: Final = COMPAT / "flows" / "deployed_flows.py"

#: Seconds a flow run may stay CANCELLING (nothing stopped it) before the server ends it
#: CANCELLED: short, so that a run whose worker is gone ends within a test.
CANCELLING_TIMEOUT_SECONDS: Final = 20

#: The reference server's services, made to look often so that each test takes seconds.
REFERENCE_SERVICE_SETTINGS: Final = {
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "2",
    "PREFECT_SERVER_SERVICES_FOREMAN_LOOP_SECONDS": "2",
    # Deployments and work queues nobody polled for this long are NOT_READY.
    "PREFECT_SERVER_SERVICES_FOREMAN_DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS": "10",
    "PREFECT_SERVER_SERVICES_FOREMAN_WORK_QUEUE_LAST_POLLED_TIMEOUT_SECONDS": "10",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "2",
    # A run refused a deployment's concurrency slot (ENQUEUE) comes back this much later.
    "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_CANCELLING_TIMEOUT_SECONDS": str(
        CANCELLING_TIMEOUT_SECONDS
    ),
}

#: Signalbox's services likewise (SIGNALBOX_* variables of `signalbox server start`).
SIGNALBOX_SERVICE_SETTINGS: Final = {
    "SIGNALBOX_DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS": "10",
    "SIGNALBOX_WORK_QUEUE_LAST_POLLED_TIMEOUT_SECONDS": "10",
    "SIGNALBOX_DEPLOYMENT_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    "SIGNALBOX_CANCELLING_TIMEOUT_SECONDS": str(CANCELLING_TIMEOUT_SECONDS),
}

#: The client side: runners and Prefect workers poll every second.
CLIENT_SETTINGS: Final = {
    "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    "PREFECT_WORKER_QUERY_SECONDS": "1",
    "PREFECT_WORKER_PREFETCH_SECONDS": "5",
    # A worker silent for three heartbeats is OFFLINE.
    "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
    # Wide enough that the CLI's tables do not cut names short.
    "COLUMNS": "250",
}

#: Seconds a CLI command or a short script gets (the client's imports are slow on a busy box).
COMMAND_TIMEOUT_SECONDS: Final = 120.0
#: Seconds between two looks at the API while waiting.
POLL_INTERVAL_SECONDS: Final = 0.25


@dataclass
class ClientProcess:
    """A long-lived Prefect client process (a served flow, a Prefect worker) and its log."""

    process: subprocess.Popen[str]
    log_path: Path
    killed: bool = False

    def log(self) -> str:
        """Its output so far, for assertion messages."""
        return self.log_path.read_text(errors="replace")[-8000:]

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class PrefectClient:
    """The Prefect CLI, scripts and processes run against one server from one project folder."""

    api_url: str
    project: Path
    home: Path
    settings: dict[str, str] = field(default_factory=dict)
    processes: list[ClientProcess] = field(default_factory=list)

    def environ(self) -> dict[str, str]:
        return {**client_environ(self.api_url, self.home), **CLIENT_SETTINGS, **self.settings}

    def cli(self, *args: str, timeout: float = COMMAND_TIMEOUT_SECONDS) -> str:
        """Run `prefect <args>` and return its output; fail with it when the exit is not 0."""
        done = self.run([str(prefect_python().parent / "prefect"), *args], timeout)
        assert done.returncode == 0, f"prefect {' '.join(args)} exited {done.returncode}:\n" + (
            f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
        )
        return done.stdout

    def script(self, name: str, *args: str, timeout: float = COMMAND_TIMEOUT_SECONDS) -> Any:
        """Run scripts/<name>.py and return the JSON of its RESULT line."""
        done = self.run([str(prefect_python()), str(SCRIPTS / f"{name}.py"), *args], timeout)
        result = parse_result(done.stdout)
        assert result is not None and done.returncode == 0, (
            f"{name}.py exited {done.returncode} without a RESULT:\n"
            f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
        )
        return result

    def run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a client command in the project folder, in its own process group."""
        process = subprocess.Popen(
            command,
            cwd=self.project,
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(process)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"{command[1:]} did not finish within {timeout}s:\n{stdout[-6000:]}\n"
                f"{stderr[-6000:]}"
            ) from None
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def start(self, label: str, *args: str, script: str | None = None) -> ClientProcess:
        """Start `prefect <args>` (or scripts/<script>.py <args>); stopped by `stop_all`."""
        python = prefect_python()
        command = (
            [str(python), str(SCRIPTS / f"{script}.py"), *args]
            if script
            else [str(python.parent / "prefect"), *args]
        )
        log_path = self.home / f"{label}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                command,
                cwd=self.project,
                env=self.environ(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its own process group: its flow runs stop with it
            )
        started = ClientProcess(process, log_path)
        self.processes.append(started)
        return started

    def kill(self, started: ClientProcess) -> None:
        """Kill a process and its children at once, as a lost machine would stop."""
        started.killed = True
        os.killpg(started.process.pid, signal.SIGKILL)
        started.process.wait()

    def stop_all(self) -> None:
        for started in self.processes:
            stop_process_group(started.process)

    def assert_running(self) -> None:
        """Fail with its output when a process started here (and not killed) has exited."""
        for started in self.processes:
            if not started.killed and not started.alive():
                raise AssertionError(
                    f"{started.log_path.stem} exited {started.process.returncode}:\n"
                    + started.log()
                )

    def logs(self) -> str:
        """The output of every long-lived process, for assertion messages."""
        return "\n".join(f"--- {p.log_path.name} ---\n{p.log()}" for p in self.processes)


# --- reading the server ---------------------------------------------------------------------


def wait_for(
    observe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    what: str,
    timeout: float,
    watch: PrefectClient | None = None,
) -> T:
    """Observe until `done(observation)`; fail after `timeout` s with the last observation.

    `observe` may raise NotYetThere while the server has not caught up. With `watch`, fail
    at once when one of its long-lived processes has exited, and show their output.
    """
    deadline = time.monotonic() + timeout
    observed: Any = None
    while True:
        if watch is not None:
            watch.assert_running()
        try:
            observed = observe()
            if done(observed):
                return observed  # type: ignore[no-any-return]
        except NotYetThere as missing:
            observed = f"nothing yet: {missing}"
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_INTERVAL_SECONDS)  # polling interval, bounded by the deadline
    logs = watch.logs() if watch is not None else ""
    raise AssertionError(f"{what}: not so within {timeout}s; last seen:\n{observed}\n{logs}")


def served(client: PrefectClient, function: str, options: dict[str, Any]) -> dict[str, Any]:
    """Serve `function` of deployed_flows.py as a new deployment; its record once it exists."""
    name = unique(function.replace("_", "-"))
    client.start("serve", function, name, json_arg(options), script="serve_deployment")
    flow_name = "compat-" + function.replace("_", "-")
    return wait_for(
        lambda: read_deployment(client.api_url, flow_name, name),
        lambda _: True,
        what=f"the served deployment {flow_name}/{name}",
        timeout=90,
        watch=client,
    )


def unique(prefix: str) -> str:
    """A name no earlier test used."""
    return f"{prefix}-{uuid4().hex[:8]}"


def when(text: str) -> datetime:
    """A timestamp of the API as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def delete_deployments(api_url: str) -> None:
    """Delete every deployment on the server (asking again while it answers 503)."""
    for deployment in call_api(api_url, "POST", "/deployments/filter", {"limit": 200}):
        path = f"/deployments/{deployment['id']}"
        wait_for(partial(deleted, api_url, path), bool, what=f"DELETE {path}", timeout=30)


def deleted(api_url: str, path: str) -> bool:
    """Whether DELETE `path` is done (or was already); False when the server is busy."""
    try:
        call_api(api_url, "DELETE", path)
    except NotYetThere as refused:
        return "answered 404" in str(refused)
    return True


def read_deployment(api_url: str, flow_name: str, deployment_name: str) -> dict[str, Any]:
    return dict(call_api(api_url, "GET", f"/deployments/name/{flow_name}/{deployment_name}"))


def deployment_runs(api_url: str, deployment_id: str) -> list[dict[str, Any]]:
    """Every flow run of a deployment, by expected start time."""
    body = {
        "flow_runs": {"deployment_id": {"any_": [deployment_id]}},
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 200,
    }
    return list(call_api(api_url, "POST", "/flow_runs/filter", body))


def read_flow_run(api_url: str, flow_run_id: str) -> dict[str, Any]:
    return dict(call_api(api_url, "GET", f"/flow_runs/{flow_run_id}"))


def state_history(api_url: str, flow_run_id: str) -> list[dict[str, Any]]:
    """A flow run's states, oldest first."""
    states = call_api(api_url, "GET", f"/flow_run_states/?flow_run_id={flow_run_id}")
    return sorted(states, key=lambda state: state["timestamp"])


def state_types(runs: list[dict[str, Any]]) -> list[str]:
    return [run["state"]["type"] if run["state"] else "" for run in runs]


def json_arg(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value))
