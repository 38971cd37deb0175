"""Compat scenario: a task raises, so its flow run fails too.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flow run id, the task run id and the exception the flow raised.
"""

import json

from prefect import flow, runtime, task

FLOW_RUN_IDS: list[str] = []
TASK_RUNS: list[dict[str, str]] = []


@task
def explode() -> None:
    """Always raise RuntimeError."""
    TASK_RUNS.append({"task": "explode", "id": runtime.task_run.id})
    raise RuntimeError("task boom")


@flow(name="compat-task-fails")
def task_fails() -> None:
    """Call the task that raises; its exception fails the flow run."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    explode()


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised, message = None, None, None
    try:
        value = task_fails()
    except Exception as exc:
        raised, message = type(exc).__name__, str(exc)
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None, "task_runs": TASK_RUNS}
    result.update(return_value=value, raised=raised, message=message)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
