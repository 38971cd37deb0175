"""Compat scenario: background tasks, `task.delay()` run by a task worker in another process.

Run by the Prefect virtualenv's python, with results persisted to a folder both processes
share (PREFECT_RESULTS_PERSIST_BY_DEFAULT, PREFECT_LOCAL_STORAGE_PATH):
- `serve`: a task worker for `add` and `flaky` (`prefect.task_worker.serve`), until stopped;
- `delay X Y ATTEMPTS_FILE`: `add.delay(X, Y)` and `flaky.delay(ATTEMPTS_FILE)`, then waits
  for both results. Prints `RESULT {json}` with the values and the task run ids.
"""

import json
import sys
from pathlib import Path

from prefect import task
from prefect.task_worker import serve

#: Seconds the caller waits for each result.
WAIT_SECONDS = 90


@task
def add(x: int, y: int) -> int:
    return x + y


@task(retries=2, retry_delay_seconds=0)
def flaky(attempts_file: str) -> str:
    """Fails on its first run and succeeds on the second (the file counts the runs)."""
    attempts = Path(attempts_file)
    count = int(attempts.read_text() or 0) + 1 if attempts.exists() else 1
    attempts.write_text(str(count))
    if count < 2:
        raise RuntimeError(f"run {count} fails on purpose")
    return f"succeeded on run {count}"


def delay(x: int, y: int, attempts_file: str) -> dict[str, object]:
    total, retried = add.delay(x, y), flaky.delay(attempts_file)
    return {
        "sum": total.result(timeout=WAIT_SECONDS),
        "sum_task_run_id": str(total.task_run_id),
        "flaky": retried.result(timeout=WAIT_SECONDS),
        "flaky_task_run_id": str(retried.task_run_id),
    }


def main() -> None:
    if sys.argv[1] == "serve":
        serve(add, flaky)
        return
    result = delay(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
