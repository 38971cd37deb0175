"""Compat script: a flow that sends two string inputs to another flow run.

`python sending_flow.py <receiver flow_run_id>`. Prints `RESULT {json}` with its own flow
run id and the exception raised, if any.
"""

import json
import sys
from uuid import UUID

from prefect import flow, runtime
from prefect.input import send_input


@flow(name="compat-sending-flow")
def sending_flow(receiver: str) -> str:
    """Send "hello" then "world" to the receiver; return this flow run's id."""
    send_input("hello", flow_run_id=UUID(receiver))
    send_input("world", flow_run_id=UUID(receiver))
    return runtime.flow_run.id


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = sending_flow(sys.argv[1])
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    print("RESULT " + json.dumps({"flow_run_id": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
