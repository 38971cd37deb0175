"""A Prefect flow of 300 task runs against a server whose `state` queue has no worker: the
client ends cleanly (its events are confirmed as they reach Redis, far below the high-water
mark), and once a worker consumes `state` every task run is recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import dramatiq
import pytest

from actors.broker import broker
from models.db.database import Database
from models.settings import Settings
from tests.compat.prefect_client import prefect_python, run_flow_script
from tests.compat.test_workers_stopped import count_task_runs
from tests.running import CORE_QUEUES, serve_api

SCRIPT = Path(__file__).parents[1] / "compat" / "flows" / "many_task_runs.py"
TASK_RUNS = 300
#: What the Prefect client prints when it exits with events it could not send (and drops).
DROPPED = "Still processing items"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]


async def test_a_flow_ends_cleanly_without_a_state_worker_and_its_task_runs_arrive_later(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefect_python()
    # Workers read their settings from the environment when they boot.
    monkeypatch.setenv("SIGNALBOX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIGNALBOX_HOME", str(settings.home))
    broker.flush_all()
    # One Dramatiq worker at a time on the broker: its middleware (the event loop, the
    # database) belongs to one worker, and a second one running beside it would leave its own
    # threads behind.
    workers = dramatiq.Worker(broker, queues=CORE_QUEUES - {"state"}, worker_threads=4)
    workers.start()
    try:
        async with serve_api(settings) as api_url:
            run = await asyncio.to_thread(
                run_flow_script, SCRIPT, api_url, args=[str(TASK_RUNS)], timeout=120
            )
            assert run.returncode == 0 and run.result["raised"] is None, run.describe()
            assert run.result["return_value"] == 2 * sum(range(TASK_RUNS))
            assert DROPPED not in run.stdout + run.stderr, run.describe()
            flow_run_id = run.result["flow_run_id"]
            # Every task-run event waits on Redis: none is stored yet.
            assert await asyncio.to_thread(count_task_runs, api_url, flow_run_id) == 0

            # Now a worker consumes `state` too.
            await asyncio.to_thread(workers.stop)
            workers = dramatiq.Worker(broker, queues=CORE_QUEUES, worker_threads=4)
            workers.start()
            deadline = asyncio.get_running_loop().time() + 120
            while (
                recorded := await asyncio.to_thread(count_task_runs, api_url, flow_run_id)
            ) < TASK_RUNS:
                assert asyncio.get_running_loop().time() < deadline, f"{recorded} recorded"
                await asyncio.sleep(0.2)
            assert recorded == TASK_RUNS
    finally:
        workers.stop()
        broker.flush_all()
