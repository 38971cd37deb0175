"""Compat scenario: `rate_limit("name")` spaces calls by the limit's slot decay.

Run by the Prefect virtualenv's python. The limit (1 slot, decaying 2 per second) is made with
the Prefect client; four calls in a flow each take a slot. Prints `RESULT {json}` with when
each call got through (client clock).
"""

import json
import time

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import rate_limit

LIMIT = "compat-rate"
DECAY_PER_SECOND = 2.0


@flow(name="compat-rate-limit")
def paced() -> list[float]:
    passed = []
    for _ in range(4):
        rate_limit(LIMIT, occupy=1)
        passed.append(time.time())
    return passed


def main() -> None:
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(
                name=LIMIT, limit=1, slot_decay_per_second=DECAY_PER_SECOND
            )
        )
    value, raised = None, None
    try:
        value = paced()
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    result = {"passed": value, "decay": DECAY_PER_SECOND, "raised": raised}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
