"""The unmodified Prefect 3.9.1 client runs background tasks: `task.delay()` and a task worker.

A task worker process (`prefect.task_worker.serve`) subscribes to Signalbox; another process
calls `task.delay(...)` and reads `future.result()`. Results and parameters go through a
folder both processes share, as Prefect requires for background tasks.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.servers import start_process
from tests.compat.expectations import call_api, poll_until
from tests.compat.prefect_client import client_environ, prefect_python, run_flow_script

SCRIPT = Path(__file__).parent / "flows" / "background_tasks.py"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    """The Prefect virtualenv, built once (the first build downloads the client)."""
    return prefect_python()


def shared_results(folder: Path) -> dict[str, str]:
    """The settings that make both processes persist to, and read from, one folder."""
    return {
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(folder / "storage"),
    }


@contextmanager
def task_worker(api_url: str, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The script's task worker, running until the block ends (its output in folder)."""
    home = folder / "worker-home"
    home.mkdir()
    environ = {**client_environ(api_url, home), **shared_results(folder)}
    command = [str(prefect_python()), str(SCRIPT), "serve"]
    with start_process(command, folder / "worker.log", environ) as process:
        yield process


def listed_task_workers(api_url: str) -> list[dict[str, Any]]:
    workers: list[dict[str, Any]] = call_api(api_url, "POST", "/task_workers/filter", {})
    return workers


def state_names(api_url: str, task_run_id: str) -> list[str]:
    states = call_api(api_url, "GET", f"/task_run_states/?task_run_id={task_run_id}")
    return [state["name"] for state in states]


async def test_delayed_tasks_run_on_a_task_worker_and_their_results_come_back(
    live_api_url: str, tmp_path: Path
) -> None:
    with task_worker(live_api_url, tmp_path) as worker:
        await asyncio.to_thread(
            poll_until,
            lambda: any(
                {"add", "flaky"} <= {key.split(".")[-1].split("-")[0] for key in w["task_keys"]}
                for w in listed_task_workers(live_api_url)
            ),
            True,
            what="the task worker listed by /task_workers/filter",
        )
        completed = await asyncio.to_thread(
            run_flow_script,
            SCRIPT,
            live_api_url,
            args=["delay", "2", "3", str(tmp_path / "attempts")],
            env=shared_results(tmp_path),
        )
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
    log = (tmp_path / "worker.log").read_text()
    assert completed.result["sum"] == 5, completed.describe() + log
    assert completed.result["flaky"] == "succeeded on run 2", completed.describe() + log

    # What the server recorded: both completed; the flaky one after a retry in the worker.
    for task_run_id in (completed.result["sum_task_run_id"], completed.result["flaky_task_run_id"]):
        await asyncio.to_thread(
            poll_until,
            lambda run=task_run_id: call_api(live_api_url, "GET", f"/task_runs/{run}")[
                "state_type"
            ],
            "COMPLETED",
            what=f"task run {task_run_id} COMPLETED",
        )
    # The API runs on this event loop: the blocking reads go to a thread.
    flaky_id = completed.result["flaky_task_run_id"]
    flaky_states = await asyncio.to_thread(state_names, live_api_url, flaky_id)
    # With no retry delay the engine goes from the failed run straight to Retrying.
    assert flaky_states == ["Scheduled", "Pending", "Running", "Retrying", "Completed"]
    flaky = await asyncio.to_thread(call_api, live_api_url, "GET", f"/task_runs/{flaky_id}")
    assert flaky["run_count"] == 2, flaky
