"""Scenario: a flow with many task runs (300 by default, or the first argument), each logging
a line: enough task-run events to build a backlog when no worker stores them.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flow run id, the return value and any exception.
"""

import json
import sys

from prefect import flow, get_run_logger, runtime, task

FLOW_RUN_IDS: list[str] = []


@task
def double(x: int) -> int:
    get_run_logger().info("double %s", x)
    return 2 * x


@flow(name="many-task-runs")
def many_task_runs(count: int) -> int:
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    return sum(double.map(range(count)).result())


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    value, raised = None, None
    try:
        value = many_task_runs(count)
    except Exception as exc:
        raised = type(exc).__name__
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None}
    print("RESULT " + json.dumps({**result, "return_value": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
