"""With the server's workers stopped, flows still run; once the workers start, nothing is lost.

The API puts every task-run event and log batch on Redis before it confirms them (the pong,
the 201), so a stopped worker pool only delays them.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import dramatiq
import pytest
import redis

from actors.broker import broker
from models.db.database import Database
from models.settings import Settings
from tests.compat.expectations import CHECKS
from tests.compat.prefect_client import prefect_python, run_flow_script
from tests.running import CORE_QUEUES, serve_api

FLOWS = Path(__file__).parent / "flows"
SCENARIOS = ("tasks_basic", "task_retry", "task_fails")

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]


def count_task_runs(api_url: str, flow_run_id: str) -> int:
    body = json.dumps({"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}}).encode()
    request = urllib.request.Request(
        f"{api_url}/task_runs/count", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response))


async def test_flows_run_while_the_workers_are_stopped_and_nothing_is_lost(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefect_python()
    monkeypatch.setenv("SIGNALBOX_DATABASE_URL", settings.database_url)
    broker.flush_all()
    queued = redis.Redis.from_url(settings.redis_url or "")
    async with serve_api(settings) as api_url:
        results = {}
        for scenario in SCENARIOS:  # no worker consumes anything yet
            completed = await asyncio.to_thread(run_flow_script, FLOWS / f"{scenario}.py", api_url)
            results[scenario] = completed.result
            # The flow run itself is decided by the API; its task runs wait on Redis.
            assert (
                await asyncio.to_thread(count_task_runs, api_url, completed.result["flow_run_id"])
                == 0
            )
        waiting = {queue: queued.llen(f"signalbox:{queue}") for queue in ("state", "ingest")}
        assert waiting["state"] > 0 and waiting["ingest"] > 0, waiting

        worker = dramatiq.Worker(broker, queues=CORE_QUEUES, worker_threads=4)
        worker.start()
        try:
            for scenario in SCENARIOS:
                await asyncio.to_thread(CHECKS[scenario], api_url, results[scenario])
        finally:
            worker.stop()
            broker.flush_all()
