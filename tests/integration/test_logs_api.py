"""Logs: a batch is accepted at once, stored by the ingest actors, and read back by filter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import uuid4

from aiohttp.test_utils import TestClient

from models.schemas.logs import MAX_LOG_MESSAGE_CHARS, NUL_REPLACEMENT
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


async def test_nul_characters_are_replaced_and_a_long_message_is_cut_but_both_are_kept(
    api: TestClient, drain: Drain
) -> None:
    flow_run_id = str(uuid4())
    long_message = "y" * (MAX_LOG_MESSAGE_CHARS + 10)
    batch = [log_record("a\x00b", flow_run_id), log_record(long_message, flow_run_id)]
    assert (await api.post("/api/logs/", json=batch)).status == 201

    await drain()
    read = await api.post(
        "/api/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}}
    )
    messages = sorted((log["message"] for log in await read.json()), key=len)
    assert messages == [f"a{NUL_REPLACEMENT}b", "y" * MAX_LOG_MESSAGE_CHARS]


async def test_every_record_of_a_batch_gets_its_own_id(api: TestClient, drain: Drain) -> None:
    flow_run_id = str(uuid4())
    batch = [log_record("same words", flow_run_id) for _ in range(100)]
    for _ in range(2):  # two batches: ids differ across batches too
        assert (await api.post("/api/logs/", json=batch)).status == 201

    await drain()
    read = await api.post(
        "/api/logs/filter",
        json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200},
    )
    ids = [log["id"] for log in await read.json()]
    assert len(ids) == len(set(ids)) == 200


async def test_timestamps_in_any_offset_read_back_as_the_same_instants_in_time_order(
    api: TestClient, drain: Drain
) -> None:
    flow_run_id = str(uuid4())
    # The same minute written four ways: UTC with microseconds (nearly every client),
    # another offset, whole seconds, and "Z".
    spelled = {
        "utc": "2026-11-25T18:01:44.803088+00:00",
        "plus two": "2026-11-25T20:01:45.000001+02:00",
        "whole seconds": "2026-11-25T18:01:43+00:00",
        "zulu": "2026-11-25T18:01:46.5Z",
    }
    batch = [
        dict(log_record(name, flow_run_id), timestamp=timestamp)
        for name, timestamp in spelled.items()
    ]
    assert (await api.post("/api/logs/", json=batch)).status == 201

    await drain()
    read = await api.post(
        "/api/logs/filter",
        json={
            "logs": {
                "flow_run_id": {"any_": [flow_run_id]},
                "timestamp": {"after_": "2026-11-25T18:01:44Z"},
            }
        },
    )
    stored = await read.json()
    assert [(log["message"], log["timestamp"]) for log in stored] == [
        ("utc", "2026-11-25T18:01:44.803088Z"),
        ("plus two", "2026-11-25T18:01:45.000001Z"),
        ("zulu", "2026-11-25T18:01:46.500000Z"),
    ]


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll `condition` on the event loop (the API runs on it too) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)
