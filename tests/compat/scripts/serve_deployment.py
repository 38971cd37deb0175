"""Compat script: serve one flow of the project's deployed_flows.py as a deployment, forever.

`python serve_deployment.py <flow function> <deployment name> <options as JSON>`, run in the
project folder. Options: `parameters`, `interval` (seconds) and `concurrency` ({"limit",
"collision_strategy"}, the deployment's concurrency limit). Prints
`SERVING` before it starts to serve (the deployment then exists on the server).
"""

import json
import os
import sys

sys.path.insert(0, os.getcwd())

import deployed_flows
from prefect.client.schemas.objects import ConcurrencyLimitConfig


def main() -> None:
    """Serve the flow until killed."""
    function, name, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    concurrency = options.get("concurrency")
    print("SERVING", flush=True)
    getattr(deployed_flows, function).serve(
        name=name,
        parameters=options.get("parameters"),
        interval=options.get("interval"),
        global_limit=ConcurrencyLimitConfig(**concurrency) if concurrency else None,
        print_starting_message=False,
    )


if __name__ == "__main__":
    main()
