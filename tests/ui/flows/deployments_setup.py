"""UI scenario: a process work pool with a second queue and a Prefect worker, a scheduled
deployment that takes parameters, a global concurrency limit held under a lease and a tag
limit held by a task run; all made through the Prefect client.

Run by the Prefect virtualenv's python. Prints one last line `RESULT {json}` with the names
and ids the deployment pages' tests look for.
"""

import asyncio
import json
from datetime import timedelta

from prefect import flow, get_client, runtime, task
from prefect.client.schemas.actions import (
    DeploymentScheduleCreate,
    GlobalConcurrencyLimitCreate,
    WorkPoolCreate,
)
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.utilities.callables import parameter_schema

POOL = "ui-deployments-pool"
QUEUE = "ui-deployments-queue"
WORKER = "ui-deployments-worker"
FLOW = "ui-deployments-greet"
DEPLOYMENT = "ui-deployments-hourly"
GLOBAL_LIMIT = "ui-deployments-gcl"
TAG = "ui-deployments-tag"


@flow(name=FLOW)
def greet(greeting: str = "hello", count: int = 2) -> str:
    """The deployed flow; only its signature matters here (it gives the parameter schema)."""
    return greeting * count


@task
def task_run_id() -> str:
    return str(runtime.task_run.id)


@flow(name="ui-deployments-holder")
def holder() -> dict:
    """A real flow run and task run, to hold the limits' slots."""
    return {"flow_run_id": str(runtime.flow_run.id), "task_run_id": task_run_id()}


async def main() -> None:
    holders = holder()
    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)
        await client.create_work_queue(name=QUEUE, work_pool_name=POOL, priority=5)
        await client.send_worker_heartbeat(POOL, WORKER, heartbeat_interval_seconds=3600)
        flow_id = await client.create_flow_from_name(FLOW)
        deployment_id = await client.create_deployment(
            flow_id,
            DEPLOYMENT,
            work_pool_name=POOL,
            work_queue_name=QUEUE,
            entrypoint="deployments_setup.py:greet",
            parameters={"greeting": "hello", "count": 2},
            parameter_openapi_schema=parameter_schema(greet).model_dump_for_openapi(),
            tags=["ui-deployments"],
            schedules=[
                DeploymentScheduleCreate(schedule=IntervalSchedule(interval=timedelta(hours=1))),
                DeploymentScheduleCreate(
                    schedule=CronSchedule(cron="0 9 * * 1-5", timezone="Europe/Paris"),
                    active=False,
                ),
            ],
        )
        await client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=GLOBAL_LIMIT, limit=3)
        )
        leased = await client.increment_concurrency_slots_with_lease(
            names=[GLOBAL_LIMIT],
            slots=2,
            mode="concurrency",
            lease_duration=3600,
            holder=ConcurrencyLeaseHolder(type="flow_run", id=holders["flow_run_id"]),
        )
        await client.create_concurrency_limit(tag=TAG, concurrency_limit=2)
        await client.increment_v1_concurrency_slots(names=[TAG], task_run_id=holders["task_run_id"])
    result = {
        "pool": POOL,
        "queue": QUEUE,
        "worker": WORKER,
        "flow": FLOW,
        "deployment": DEPLOYMENT,
        "deployment_id": str(deployment_id),
        "global_limit": GLOBAL_LIMIT,
        "lease_id": leased.json()["lease_id"],
        "tag": TAG,
        **holders,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
