"""Compat scenario: a task fails on its first attempt and succeeds on its retry.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flow run id, the task run id, the attempts seen and the return value.
"""

import json

from prefect import flow, get_run_logger, runtime, task

FLOW_RUN_IDS: list[str] = []
#: One entry per attempt: {"task", "id", "run_count"}; both attempts share one task run.
ATTEMPTS: list[dict[str, object]] = []


@task(retries=1, retry_delay_seconds=0)
def flaky(x: int) -> int:
    """Raise on the task run's first attempt, return x * 10 on the second."""
    run_count = runtime.task_run.run_count
    ATTEMPTS.append({"task": "flaky", "id": runtime.task_run.id, "run_count": run_count})
    get_run_logger().info("flaky attempt %s", run_count)
    if run_count == 1:
        raise ValueError("first attempt fails")
    return x * 10


@flow(name="compat-task-retry")
def task_retry() -> int:
    """Run the flaky task once (it retries by itself) and return its value (30)."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    return flaky(3)


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = task_retry()
    except Exception as exc:
        raised = type(exc).__name__
    task_runs = [{"task": a["task"], "id": a["id"]} for a in ATTEMPTS[:1]]
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None, "task_runs": task_runs}
    result.update(attempts=ATTEMPTS, return_value=value, raised=raised)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
