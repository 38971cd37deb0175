"""UI scenario for the dashboard and the flow pages: flows that complete and one that fails,
and a work pool with a Prefect worker's heartbeat.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the flows' names and ids, the runs' ids and the work pool's name.
"""

import asyncio
import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta

from prefect import flow, get_client, runtime, task
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.states import Scheduled

SUFFIX = uuid.uuid4().hex[:8]
COMPLETES = f"ui-dashboard-completes-{SUFFIX}"
FAILS = f"ui-dashboard-fails-{SUFFIX}"
POOL = f"ui-dashboard-pool-{SUFFIX}"
LATE = f"ui-dashboard-late-{SUFFIX}"
#: Each flow's runs, as (id, name).
RUNS: dict[str, list[tuple[str, str]]] = {COMPLETES: [], FAILS: []}


@task
def add(x: int, y: int) -> int:
    return x + y


@flow(name=COMPLETES)
def completes(x: int) -> int:
    RUNS[COMPLETES].append((str(runtime.flow_run.id), runtime.flow_run.name))
    return add(x, 1)


@flow(name=FAILS)
def fails() -> None:
    RUNS[FAILS].append((str(runtime.flow_run.id), runtime.flow_run.name))
    raise ValueError("the dashboard shows this failure")


async def set_up_work_pool() -> tuple[dict[str, str], str]:
    """A process work pool with one Prefect worker beating, a run scheduled an hour ago that
    nothing will start; the flows' ids and the late run's."""
    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        await client.send_worker_heartbeat(POOL, f"{POOL}-worker", heartbeat_interval_seconds=60)
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        late = await client.create_flow_run(
            completes, name=LATE, state=Scheduled(scheduled_time=an_hour_ago)
        )
        flow_ids = {name: str((await client.read_flow_by_name(name)).id) for name in RUNS}
        return flow_ids, str(late.id)


def main() -> None:
    completes(1)
    completes(2)
    with contextlib.suppress(ValueError):
        fails()
    flow_ids, late_id = asyncio.run(set_up_work_pool())
    result = {
        "completes": {"name": COMPLETES, "id": flow_ids[COMPLETES], "runs": RUNS[COMPLETES]},
        "fails": {"name": FAILS, "id": flow_ids[FAILS], "runs": RUNS[FAILS]},
        "work_pool": POOL,
        "late": {"name": LATE, "id": late_id},
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
