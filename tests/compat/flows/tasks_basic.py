"""Compat scenario: a flow runs tasks directly, with .submit and with .map, and logs from each.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flow run id, the task run ids, the return value and any exception.
"""

import json
import threading

from prefect import flow, get_run_logger, runtime, task

#: Every task run that started, as {"task", "id", "logged"} (the line it logged); tasks run in
#: threads, hence the lock.
TASK_RUNS: list[dict[str, str]] = []
TASK_RUNS_LOCK = threading.Lock()
FLOW_RUN_IDS: list[str] = []


def log_and_remember(message: str) -> None:
    """Log `message` from the current task run and record the task run's id and message."""
    get_run_logger().info(message)
    entry = {"task": runtime.task_run.task_name, "id": runtime.task_run.id, "logged": message}
    with TASK_RUNS_LOCK:
        TASK_RUNS.append(entry)


@task
def add(x: int, y: int) -> int:
    """Called directly: the flow waits for it."""
    log_and_remember(f"add {x} + {y}")
    return x + y


@task
def square(x: int) -> int:
    """Called with .submit: the flow gets a future."""
    log_and_remember(f"square {x}")
    return x * x


@task
def double(x: int) -> int:
    """Called with .map: one task run per item."""
    log_and_remember(f"double {x}")
    return 2 * x


@flow(name="compat-tasks-basic")
def tasks_basic(a: int = 1, b: int = 2) -> int:
    """Add a and b, square 3 and 4, double 1, 2 and 3, and return the sum of it all (40)."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    logger = get_run_logger()
    logger.info("tasks_basic starting")
    total = add(a, b)
    squares = [square.submit(3), square.submit(4)]
    doubles = double.map([1, 2, 3])
    total += sum(future.result() for future in squares) + sum(doubles.result())
    logger.warning("tasks_basic total is %s", total)
    return total


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = tasks_basic()
    except Exception as exc:
        raised = type(exc).__name__
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None, "task_runs": TASK_RUNS}
    print("RESULT " + json.dumps({**result, "return_value": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
