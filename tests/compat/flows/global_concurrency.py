"""Compat scenario: `concurrency("name")` keeps a second holder out until the first leaves.

Run by the Prefect virtualenv's python. The global limit (1 slot) is made with the Prefect CLI
(`prefect gcl create`). Two tasks run at once, each holding the limit for half a second.
Prints `RESULT {json}` with when each one held it (client clock) and what `gcl inspect` showed.
"""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from prefect import flow, task
from prefect.concurrency.sync import concurrency

LIMIT = "compat-gate"
PREFECT = str(Path(sys.executable).parent / "prefect")
HELD: list[dict[str, float]] = []
HELD_LOCK = threading.Lock()


@task
def guarded(i: int) -> int:
    with concurrency(LIMIT, occupy=1):
        entered = time.time()
        time.sleep(0.5)  # the work the slot is held for
        left = time.time()
    with HELD_LOCK:
        HELD.append({"entered": entered, "left": left})
    return i


@flow(name="compat-global-concurrency")
def gated() -> list[int]:
    futures = guarded.map([1, 2])
    return [future.result() for future in futures]


def cli(*args: str) -> str:
    done = subprocess.run([PREFECT, *args], capture_output=True, text=True, check=True)
    return done.stdout


def main() -> None:
    cli("gcl", "create", LIMIT, "--limit", "1")
    value, raised = None, None
    try:
        value = gated()
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    inspected = json.loads(cli("gcl", "inspect", LIMIT, "--output", "json"))
    result = {"held": HELD, "inspected": inspected, "return_value": value, "raised": raised}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
