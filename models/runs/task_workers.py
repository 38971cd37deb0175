"""The task workers connected now, and the keys they serve: what `/task_workers/filter` lists.

Every web process's subscriptions write their worker into one Redis hash each second they
stay open, and remove it when they close. An entry not written for `SILENT_SECONDS` belongs
to a web process that died without closing: it is dropped when read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

import redis.asyncio

from models.runs.background_tasks import NAMESPACE
from models.schemas.task_workers import TaskWorkerResponse

TASK_WORKERS = f"{NAMESPACE}:task-workers"
#: Seconds without a word from its subscription after which a task worker is gone.
SILENT_SECONDS = 15.0


async def observe_task_worker(
    client: redis.asyncio.Redis, client_id: str, task_keys: Sequence[str]
) -> None:
    seen = {"task_keys": sorted(set(task_keys)), "seen": time.time()}
    await client.hset(TASK_WORKERS, client_id, json.dumps(seen))


async def forget_task_worker(client: redis.asyncio.Redis, client_id: str) -> None:
    await client.hdel(TASK_WORKERS, client_id)


async def read_task_workers(
    client: redis.asyncio.Redis, task_keys: Sequence[str] = ()
) -> list[TaskWorkerResponse]:
    """The connected task workers, or those serving any of `task_keys` when some are given."""
    entries = cast(dict[bytes, bytes], await client.hgetall(TASK_WORKERS))
    wanted = set(task_keys)
    silent_since = time.time() - SILENT_SECONDS
    workers, silent = [], []
    for client_id, text in entries.items():
        seen = json.loads(text)
        if seen["seen"] < silent_since:
            silent.append(client_id)
        elif not wanted or wanted.intersection(seen["task_keys"]):
            workers.append(
                TaskWorkerResponse(
                    identifier=client_id.decode(),
                    task_keys=seen["task_keys"],
                    timestamp=datetime.fromtimestamp(seen["seen"], UTC),
                )
            )
    if silent:
        await client.hdel(TASK_WORKERS, *silent)
    return sorted(workers, key=lambda worker: worker.identifier)
