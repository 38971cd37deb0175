"""Reading runs and logs back with the Prefect 3.9.1 CLI and SDK, as a user would.

Run by the Prefect virtualenv's python (prefect and the stdlib only). A flow with a tagged
task and an untagged one logs a few lines; the script then waits (polling against a
deadline) until the server shows its task runs and logs, and reads them back: the SDK's
`read_logs` (also with a text search) and `read_task_runs` by tag, and the CLI's
`flow-run logs` (also `--head`), `task-run ls` and `task-run logs`. Prints `RESULT {json}`.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from prefect import flow, get_client, get_run_logger, runtime, task
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterTextSearch,
    TaskRunFilter,
    TaskRunFilterTags,
)

PREFECT = str(Path(sys.executable).parent / "prefect")
TAG = "compat-tagged"
DEADLINE_SECONDS = 60.0
IDS: dict[str, str] = {}


@task(tags=[TAG])
def extract() -> int:
    IDS["extract"] = str(runtime.task_run.id)
    get_run_logger().info("extracting rows")
    return 3


@task
def report(rows: int) -> str:
    IDS["report"] = str(runtime.task_run.id)
    get_run_logger().warning("report ready with %d rows", rows)
    return "ok"


@flow(name="compat-read-back")
def read_back() -> str:
    IDS["flow_run"] = str(runtime.flow_run.id)
    logger = get_run_logger()
    for line in ("first line", "second line", "third line"):
        logger.info(line)
    return report(extract())


def cli(*args: str) -> dict:
    done = subprocess.run([PREFECT, *args], capture_output=True, text=True)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr[-2000:]}


def wait_for(read, enough):
    """`read()` once `enough` holds for it, or its last value at the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    value = read()
    while not enough(value) and time.monotonic() < deadline:
        time.sleep(0.25)  # polling interval, bounded by the deadline
        value = read()
    return value


def main() -> None:
    read_back()
    flow_run_id = IDS["flow_run"]
    with get_client(sync_client=True) as client:
        of_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        logs = wait_for(
            lambda: client.read_logs(log_filter=of_run),
            lambda found: (
                {"extracting rows", "report ready with 3 rows"} <= {log.message for log in found}
            ),
        )
        searched = client.read_logs(
            log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]),
                text=LogFilterTextSearch(query="LINE -second"),
            )
        )
        runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        task_runs = wait_for(
            lambda: client.read_task_runs(flow_run_filter=runs),
            lambda found: sum(run.state_type.value == "COMPLETED" for run in found) == 2,
        )
        tagged = client.read_task_runs(
            flow_run_filter=runs, task_run_filter=TaskRunFilter(tags=TaskRunFilterTags(all_=[TAG]))
        )
    result = {
        "ids": IDS,
        "sdk_logs": [log.message for log in logs],
        "searched": [log.message for log in searched],
        "task_run_states": sorted(run.state_type.value for run in task_runs),
        "tagged": [str(run.id) for run in tagged],
        "flow_run_logs": cli("flow-run", "logs", flow_run_id),
        "flow_run_logs_head": cli("flow-run", "logs", flow_run_id, "--head", "--num-logs", "2"),
        "task_run_ls": cli("task-run", "ls", "--output", "json", "--limit", "50"),
        "task_run_logs": cli("task-run", "logs", IDS["extract"]),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
