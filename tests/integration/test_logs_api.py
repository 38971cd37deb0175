"""Logs: a batch is accepted at once, stored by the ingest actors, and read back by filter."""

from __future__ import annotations

from uuid import uuid4

from aiohttp.test_utils import TestClient

from tests.running import Drain


def log_record(message: str, flow_run_id: str, task_run_id: str | None = None) -> dict:
    return {
        "name": "prefect.flow_runs",
        "level": 20,
        "message": message,
        "timestamp": "2026-11-25T18:01:44.803088Z",
        "flow_run_id": flow_run_id,
        "task_run_id": task_run_id,
    }


async def test_a_log_batch_is_accepted_then_readable_after_the_actors_run(
    api: TestClient, drain: Drain
) -> None:
    flow_run_id, unknown_task_run = str(uuid4()), str(uuid4())
    batch = [log_record(f"line {n}", flow_run_id, unknown_task_run) for n in range(50)]
    response = await api.post("/api/logs/", json=batch)
    assert response.status == 201

    await drain()
    read = await api.post(
        "/api/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}
    )
    assert read.status == 200
    stored = await read.json()
    assert sorted(log["message"] for log in stored) == sorted(f"line {n}" for n in range(50))
    # Logs may name task runs the server has never seen: they are kept all the same.
    assert {log["task_run_id"] for log in stored} == {unknown_task_run}
