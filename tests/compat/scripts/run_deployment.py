"""Compat script: run a deployment with `run_deployment` and wait for the run to end.

`python run_deployment.py <flow name>/<deployment name> <parameters as JSON>`. Prints
`RESULT {json}` with the returned run's id, state type, parameters and deployment id.
"""

import json
import sys

from prefect.deployments import run_deployment


def main() -> None:
    """Run the deployment and print the RESULT line."""
    flow_run = run_deployment(
        sys.argv[1], parameters=json.loads(sys.argv[2]), timeout=150, poll_interval=1
    )
    result = {
        "flow_run_id": str(flow_run.id),
        "state_type": flow_run.state.type.value if flow_run.state else None,
        "parameters": flow_run.parameters,
        "deployment_id": str(flow_run.deployment_id),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
