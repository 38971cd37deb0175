"""Compat script: a flow without a deployment tries to suspend itself.

Prints `RESULT {json}` with the flow run's id, the error the suspension raised inside the
flow (which catches it and completes) and the exception the flow raised, if any.
"""

import json

from prefect import flow, runtime
from prefect.flow_runs import suspend_flow_run

FLOW_RUN_IDS: list[str] = []


@flow(name="compat-suspending-flow")
def suspending_flow() -> str | None:
    """Try to suspend; return the refusal's text, or None if the suspension went through."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    try:
        suspend_flow_run(timeout=60)
    except RuntimeError as exc:
        return str(exc)
    return None


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = suspending_flow()
    except BaseException as exc:  # a suspension that went through ends the flow with Pause
        raised = type(exc).__name__
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None}
    print("RESULT " + json.dumps({**result, "refusal": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
