"""Compat scenario: three tasks tagged with a tag limited to 1 run one at a time.

Run by the Prefect virtualenv's python (prefect and the stdlib only). The tag limit is made
with the Prefect CLI (`prefect concurrency-limit create`), as a user would; two tasks are
submitted and one is mapped. Prints one last line `RESULT {json}` with the flow run id, the
task run ids, what the CLI's `inspect` showed, and the return value.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from prefect import flow, runtime, task

TAG = "compat-serial"
PREFECT = str(Path(sys.executable).parent / "prefect")
FLOW_RUN_IDS: list[str] = []
TASK_RUN_IDS: list[str] = []


@task(tags=[TAG])
def slow(i: int) -> int:
    """Hold the tag's one slot for half a second."""
    TASK_RUN_IDS.append(runtime.task_run.id)
    time.sleep(0.5)  # the work the slot is held for
    return i


@flow(name="compat-tag-concurrency")
def serial() -> list[int]:
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    futures = [slow.submit(i) for i in range(2)]
    futures += slow.map([10])
    return [future.result() for future in futures]


def cli(*args: str) -> str:
    done = subprocess.run([PREFECT, *args], capture_output=True, text=True, check=True)
    return done.stdout


def main() -> None:
    cli("concurrency-limit", "create", TAG, "1")
    inspected = cli("concurrency-limit", "inspect", TAG, "--output", "json")
    value, raised = None, None
    try:
        value = serial()
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    result = {
        "flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None,
        "task_run_ids": TASK_RUN_IDS,
        "inspected": json.loads(inspected),
        "return_value": value,
        "raised": raised,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
