"""Compat scenario: a flow with retries=1 fails its first run and succeeds on the retry.

Usage: flow_retries.py [MARKER_PATH]. The marker file (created on the first attempt) tells
the attempts apart, even if a retry ran in another process; by default it lives in a fresh
temporary folder. Run by the Prefect virtualenv's python (prefect and the stdlib only).
Prints one last line `RESULT {json}` with the flow run id, the attempts and the return value.
"""

import json
import sys
import tempfile
from pathlib import Path

from prefect import flow, get_run_logger, runtime

FLOW_RUN_IDS: list[str] = []
#: One entry per attempt: {"attempt", "run_count"} as the flow saw them.
ATTEMPTS: list[dict[str, int]] = []


def marker_path() -> Path:
    """The marker file from argv, or one in a fresh temporary folder."""
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    return Path(tempfile.mkdtemp(prefix="flow-retries-")) / "attempted"


MARKER = marker_path()


@flow(name="compat-flow-retries", retries=1, retry_delay_seconds=0)
def flow_retries() -> str:
    """Raise when the marker file is missing (creating it); return "ok" once it exists."""
    if not FLOW_RUN_IDS:
        FLOW_RUN_IDS.append(runtime.flow_run.id)
    first_attempt = not MARKER.exists()
    ATTEMPTS.append({"attempt": len(ATTEMPTS) + 1, "run_count": runtime.flow_run.run_count})
    get_run_logger().info("flow_retries attempt %s", len(ATTEMPTS))
    if first_attempt:
        MARKER.touch()
        raise ValueError("first flow attempt fails")
    return "ok"


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = flow_retries()
    except Exception as exc:
        raised = type(exc).__name__
    result = {"flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None, "task_runs": []}
    result.update(attempts=ATTEMPTS, return_value=value, raised=raised)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
