"""The flow run a UI page benchmark opens: task runs, logs and artifacts, made through the API.

The seeded million runs are rows with a state and nothing else; `/runs/flow-run/<id>` needs a
run with something to draw. This one gets --task-runs task runs (most Completed, some Failed,
each with its Running state before), --logs log lines spread over them and --artifacts
markdown artifacts, all through the REST API as a client sends them, and the flow run ends
Failed. Logs and artifacts are stored by the workers after the API answers: the set-up waits
(polling, with a deadline) until they read back, so the page is measured on the whole run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import uuid4

import aiohttp

from bench.bench_events import post_json

#: Seconds the workers have to store the logs and artifacts before the set-up gives up.
STORED_TIMEOUT_SECONDS: Final = 120.0
#: Seconds between two reads while waiting for them.
POLL_SECONDS: Final = 0.2
#: Every how many task runs one fails.
FAILED_EVERY: Final = 10
#: Log records per POST /logs/ (the client batches them too).
LOGS_PER_BATCH: Final = 100
LOG_LEVELS: Final = (20, 20, 20, 10, 30, 40)


@dataclass(frozen=True)
class DetailRun:
    """The ids the page paths name."""

    flow_run: str
    task_run: str  # one of its task runs (a failed one)

    def placeholders(self) -> dict[str, str]:
        return {"flow_run": self.flow_run, "task_run": self.task_run}


async def create_detail_run(api_url: str, task_runs: int, logs: int, artifacts: int) -> DetailRun:
    """The flow run with its task runs, logs and artifacts, all readable when this returns."""
    async with aiohttp.ClientSession() as http:
        flow = await post_json(http, f"{api_url}/flows/", {"name": "bench-ui-pages"})
        body = {
            "flow_id": flow["id"],
            "name": f"bench-ui-detail-{uuid4().hex[:6]}",
            "parameters": {"day": datetime.now(UTC).date().isoformat(), "limit": 50},
            "tags": ["bench", "ui"],
            "state": {"type": "PENDING", "name": "Pending"},
        }
        flow_run = (await post_json(http, f"{api_url}/flow_runs/", body))["id"]
        await set_state(http, f"{api_url}/flow_runs/{flow_run}", "RUNNING")
        task_run_ids = [
            await create_task_run(http, api_url, flow_run, number) for number in range(task_runs)
        ]
        await send_logs(http, api_url, flow_run, task_run_ids, logs)
        for number in range(artifacts):
            await post_json(http, f"{api_url}/artifacts/", artifact(flow_run, task_run_ids, number))
        await set_state(http, f"{api_url}/flow_runs/{flow_run}", "FAILED")
        await wait_until_stored(http, api_url, flow_run, logs, artifacts)
    failed = task_run_ids[::FAILED_EVERY]
    return DetailRun(flow_run, failed[0] if failed else "")


async def set_state(http: aiohttp.ClientSession, run_url: str, state_type: str) -> None:
    body = {"state": {"type": state_type, "name": state_type.title()}, "force": False}
    answer = await post_json(http, f"{run_url}/set_state", body)
    if answer["status"] != "ACCEPT":
        raise RuntimeError(f"{run_url} did not accept {state_type}: {answer}")


async def create_task_run(
    http: aiohttp.ClientSession, api_url: str, flow_run: str, number: int
) -> str:
    """Task run `number`: created Running, then Completed (every FAILED_EVERY-th Failed)."""
    body = {
        "flow_run_id": flow_run,
        "name": f"transform-{number:02d}",
        "task_key": f"transform-{number % 5}",
        "dynamic_key": str(number),
        "tags": ["bench"],
        "state": {"type": "RUNNING", "name": "Running"},
    }
    task_run = (await post_json(http, f"{api_url}/task_runs/", body))["id"]
    final = "FAILED" if number % FAILED_EVERY == 0 else "COMPLETED"
    await set_state(http, f"{api_url}/task_runs/{task_run}", final)
    return str(task_run)


async def send_logs(
    http: aiohttp.ClientSession,
    api_url: str,
    flow_run: str,
    task_run_ids: list[str],
    count: int,
) -> None:
    """`count` log records, one second apart, each of the flow run or of one of its task runs."""
    first = datetime.now(UTC) - timedelta(seconds=count)
    records = [
        {
            "name": "prefect.task_runs" if task_run_ids and number % 3 else "prefect.flow_runs",
            "level": LOG_LEVELS[number % len(LOG_LEVELS)],
            "message": f"Processed batch {number} of {count}: <{number * 17 % 1000} rows>",
            "timestamp": (first + timedelta(seconds=number)).isoformat(),
            "flow_run_id": flow_run,
            "task_run_id": (
                task_run_ids[number % len(task_run_ids)] if task_run_ids and number % 3 else None
            ),
        }
        for number in range(count)
    ]
    for start in range(0, count, LOGS_PER_BATCH):
        await post_json(http, f"{api_url}/logs/", records[start : start + LOGS_PER_BATCH])


def artifact(flow_run: str, task_run_ids: list[str], number: int) -> dict[str, Any]:
    rows = "\n".join(f"| batch {row} | {row * 17 % 1000} |" for row in range(20))
    return {
        "key": f"bench-ui-report-{number}",
        "type": "markdown",
        "description": f"Report {number} of the run",
        "data": f"# Report {number}\n\n| batch | rows |\n|---|---|\n{rows}\n",
        "flow_run_id": flow_run,
        "task_run_id": task_run_ids[number % len(task_run_ids)] if task_run_ids else None,
    }


async def wait_until_stored(
    http: aiohttp.ClientSession, api_url: str, flow_run: str, logs: int, artifacts: int
) -> None:
    """Poll until the last log record and every artifact of the run read back."""
    deadline = time.monotonic() + STORED_TIMEOUT_SECONDS
    last_log = {"logs": {"flow_run_id": {"any_": [flow_run]}}, "offset": logs - 1, "limit": 1}
    of_run = {"artifacts": {"flow_run_id": {"any_": [flow_run]}}}
    while time.monotonic() < deadline:
        logs_read = not logs or await post_json(http, f"{api_url}/logs/filter", last_log)
        stored = await post_json(http, f"{api_url}/artifacts/count", of_run)
        if logs_read and stored >= artifacts:
            return
        await asyncio.sleep(POLL_SECONDS)  # the workers store them: poll until the deadline
    raise RuntimeError(f"the logs and artifacts of {flow_run} were not stored in time")
