"""Compat scenario: a flow raises.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flow run id and the exception the flow raised.
"""

import json

from prefect import flow, get_run_logger, runtime

FLOW_RUN_IDS: list[str] = []


@flow(name="compat-flow-fails")
def flow_fails() -> None:
    """Log one line, then raise ValueError."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    get_run_logger().info("flow_fails is about to raise")
    raise ValueError("flow boom")


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised, message = None, None, None
    try:
        value = flow_fails()
    except Exception as exc:
        raised, message = type(exc).__name__, str(exc)
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None, "task_runs": []}
    result.update(return_value=value, raised=raised, message=message)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
