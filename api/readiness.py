"""What `/api/ready` checks: the database answers at the schema this code needs, Redis
answers, and worker processes consume the queues every record waits on.

Each check reports the failure it meets instead of raising it: readiness lists every problem
at once, so an operator sees all that is missing from one probe.
"""

from __future__ import annotations

import time
from typing import Final

from aiohttp import web

from actors.broker import HEARTBEAT_TIMEOUT_MS, broker
from actors.worker_registry import worker_processes_key
from api import keys
from models.db.database import ping_database, read_schema_revision
from models.live_readings import read_live_queues

#: The queues without which nothing sent through Redis is stored: states and their side
#: effects, logs and events, and the periodic services.
REQUIRED_QUEUES: Final = ("ingest", "services", "state")


async def find_problems(app: web.Application) -> dict[str, str]:
    """Each part that is not ready, with what is wrong with it; empty when all are."""
    problems: dict[str, str] = {}
    try:
        async with app[keys.database].read_sessions() as session:
            await ping_database(session)
            revision = await read_schema_revision(session)
    except Exception as exc:  # readiness reports any failure rather than raising it
        problems["database"] = type(exc).__name__
    else:
        head = app.get(keys.schema_head)
        if head is not None and revision != head:
            problems["schema"] = describe_schema(revision, head)
    try:
        client = app[keys.redis_client]
        await client.ping()
        oldest_ms = int(time.time() * 1000) - HEARTBEAT_TIMEOUT_MS
        consumed = await read_live_queues(client, worker_processes_key(broker), oldest_ms)
    except Exception as exc:  # as above: report, do not raise
        problems["redis"] = type(exc).__name__
    else:
        if missing := [queue for queue in REQUIRED_QUEUES if queue not in consumed]:
            problems["workers"] = f"no live worker process consumes {', '.join(missing)}"
    return problems


def describe_schema(revision: str | None, head: str) -> str:
    if revision is None:
        return f"not migrated (run: signalbox server database upgrade; head is {head})"
    return f"at revision {revision}, this Signalbox needs {head}"
