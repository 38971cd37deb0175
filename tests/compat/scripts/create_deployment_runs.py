"""Compat script: create flow runs of a deployment without waiting for them.

`python create_deployment_runs.py <flow name>/<deployment name> <count> <parameters as JSON>`.
When the parameters hold a `label`, each run's label is its index instead. Prints
`RESULT {json}` with the ids, in the order of the indexes.
"""

import json
import sys

from prefect import get_client


def labelled(parameters: dict, index: int) -> dict:
    """The parameters of the run with this index."""
    if "label" not in parameters:
        return parameters
    return {**parameters, "label": str(index)}


def main() -> None:
    """Create the runs and print the RESULT line."""
    name, count, parameters = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        runs = [
            client.create_flow_run_from_deployment(
                deployment.id, parameters=labelled(parameters, index)
            )
            for index in range(count)
        ]
    print("RESULT " + json.dumps({"flow_run_ids": [str(run.id) for run in runs]}), flush=True)


if __name__ == "__main__":
    main()
