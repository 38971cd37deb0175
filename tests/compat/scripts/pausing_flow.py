"""Compat script: a flow that pauses, blocking, until another process resumes it.

Run by the Prefect virtualenv's python. `python pausing_flow.py plain` pauses with a
timeout; `python pausing_flow.py input` pauses waiting for an `Approval` input. The flow
prints `FLOW_RUN <id>` before it pauses, then a final `RESULT {json}` line with what the
pause returned, the flow's return value and the exception raised, if any.
"""

import json
import sys

from prefect import flow, runtime
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

#: Seconds the paused flow waits to be resumed before it fails with FlowPauseTimeout.
PAUSE_TIMEOUT_SECONDS = 90


class Approval(RunInput):
    """The input the flow waits for in `input` mode."""

    approved: bool
    reviewer: str


@flow(name="compat-pausing-flow")
def pausing_flow(mode: str) -> dict:
    """Pause once (with or without waiting for input), then report what the pause returned."""
    print(f"FLOW_RUN {runtime.flow_run.id}", flush=True)
    if mode == "input":
        approval = pause_flow_run(
            wait_for_input=Approval, timeout=PAUSE_TIMEOUT_SECONDS, poll_interval=1
        )
        return {"approved": approval.approved, "reviewer": approval.reviewer}
    returned = pause_flow_run(timeout=PAUSE_TIMEOUT_SECONDS, poll_interval=1)
    return {"returned": returned}


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = pausing_flow(sys.argv[1])
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    print("RESULT " + json.dumps({"return_value": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
