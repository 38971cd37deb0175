"""Compat script: deploy a flow from a local folder to a work pool with `flow.from_source`.

`python deploy_from_source.py <folder> <entrypoint> <work pool> <deployment name> <options>`
with options as JSON: `parameters`, `job_variables`, `concurrency` ({"limit",
"collision_strategy"}).
Prints `RESULT {json}` with the deployment's id.
"""

import json
import sys

from prefect import flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig


def main() -> None:
    """Deploy and print the RESULT line."""
    folder, entrypoint, pool, name = sys.argv[1:5]
    options = json.loads(sys.argv[5])
    concurrency = options.get("concurrency")
    deployment_id = flow.from_source(source=folder, entrypoint=entrypoint).deploy(
        name=name,
        work_pool_name=pool,
        parameters=options.get("parameters"),
        job_variables=options.get("job_variables"),
        concurrency_limit=ConcurrencyLimitConfig(**concurrency) if concurrency else None,
        print_next_steps=False,
    )
    print("RESULT " + json.dumps({"deployment_id": str(deployment_id)}), flush=True)


if __name__ == "__main__":
    main()
