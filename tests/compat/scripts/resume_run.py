"""Compat script: resume a paused flow run from another process, with an input if given.

`python resume_run.py <flow_run_id> [<run_input as JSON>]`. Prints `RESULT {json}` with
the exception `resume_flow_run` raised, if any, and the run's state type afterwards.
"""

import json
import sys
from uuid import UUID

from prefect import get_client
from prefect.flow_runs import resume_flow_run


def main() -> None:
    """Resume the run and print the RESULT line."""
    flow_run_id = UUID(sys.argv[1])
    run_input = json.loads(sys.argv[2]) if len(sys.argv) > 2 else None
    raised = None
    try:
        resume_flow_run(flow_run_id, run_input=run_input)
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    result = {"raised": raised, "state_type": state.type.value if state else None}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
