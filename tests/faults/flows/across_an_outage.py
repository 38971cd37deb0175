"""A flow that runs across a database outage: STEPS tasks of about a second, each logging
LINES lines, and a subflow every SUBFLOW_EVERY steps (a subflow is created and moved through
its states synchronously, so it meets the outage where tasks and logs, sent through Redis,
do not). Prints `RESULT {json}` with the flow run's id and final state.

Run by the Prefect virtualenv's python: `across_an_outage.py STEPS`.
"""

import json
import sys
import time

from prefect import flow, get_run_logger, task
from prefect.context import get_run_context

LINES = 3
SUBFLOW_EVERY = 10


@task
def step(number: int) -> int:
    logger = get_run_logger()
    for line in range(LINES):
        logger.info("step %d line %d", number, line)
    time.sleep(1)  # the work the step stands for: the flow must outlast the outage
    return number


@flow(name="outage-checkpoint")
def checkpoint(number: int) -> int:
    get_run_logger().info("checkpoint %d", number)
    return number


@flow(name="across-an-outage")
def across_an_outage(steps: int) -> str:
    for number in range(steps):
        step(number)
        if number % SUBFLOW_EVERY == SUBFLOW_EVERY - 1:
            checkpoint(number)
    return str(get_run_context().flow_run.id)  # type: ignore[union-attr]


def main() -> None:
    state = across_an_outage(int(sys.argv[1]), return_state=True)
    result = {"state": state.type.value, "message": state.message}
    if state.is_completed():
        result["flow_run_id"] = state.result()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
