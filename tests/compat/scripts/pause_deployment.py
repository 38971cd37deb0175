"""Compat script: pause or resume a deployment with the client's `pause_deployment`.

`python pause_deployment.py <flow name>/<deployment name> pause|resume`. Prints
`RESULT {json}` with the deployment's `paused` as the server then reads it.
"""

import json
import sys

from prefect import get_client


def main() -> None:
    """Pause or resume the deployment and print the RESULT line."""
    name, action = sys.argv[1], sys.argv[2]
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        if action == "pause":
            client.pause_deployment(deployment.id)
        else:
            client.resume_deployment(deployment.id)
        paused = client.read_deployment(deployment.id).paused
    print("RESULT " + json.dumps({"paused": paused}), flush=True)


if __name__ == "__main__":
    main()
