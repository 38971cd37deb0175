"""Compat scenario: a flow with timeout_seconds=1 sleeps 3 s and times out.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flow run id and the exception the flow raised.
"""

import json
import time

from prefect import flow, runtime

FLOW_RUN_IDS: list[str] = []


@flow(name="compat-flow-timeout", timeout_seconds=1)
def flow_timeout() -> str:
    """Sleep past the flow's timeout (the engine interrupts the sleep)."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    time.sleep(3)
    return "not reached"


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised, message = None, None, None
    try:
        value = flow_timeout()
    except Exception as exc:
        raised, message = type(exc).__name__, str(exc)
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None, "task_runs": []}
    result.update(return_value=value, raised=raised, message=message)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
