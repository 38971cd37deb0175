"""/api/ready: not ready while the schema is not this code's or no worker process consumes the
queues every record waits on; each problem is named in the 503."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import dramatiq
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from api import keys
from api.app import create_app
from migrations.commands import head_revision
from models.db.database import Database
from models.settings import Settings

MakeClient = Callable[..., Awaitable[TestClient]]


async def test_ready_with_the_schema_at_head_and_worker_processes_on_every_queue(
    api: TestClient,
) -> None:
    ready = await api.get("/api/ready")
    assert ready.status == 200
    assert await ready.json() == {"message": "OK"}


async def test_not_ready_while_no_worker_process_consumes_the_queues(
    database: Database, settings: Settings, aiohttp_client: MakeClient
) -> None:
    api = await aiohttp_client(create_app(settings, schema_head=head_revision(settings)))
    ready = await api.get("/api/ready")
    assert ready.status == 503
    assert await ready.json() == {
        "detail": "Not ready",
        "problems": {"workers": "no live worker process consumes ingest, services, state"},
    }


async def test_a_worker_process_on_some_queues_only_leaves_the_others_named(
    database: Database, settings: Settings, aiohttp_client: MakeClient
) -> None:
    from actors.broker import broker

    worker = dramatiq.Worker(broker, queues={"state"}, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        api = await aiohttp_client(create_app(settings, schema_head=head_revision(settings)))
        ready = await api.get("/api/ready")
        problems = (await ready.json())["problems"]
        assert problems == {"workers": "no live worker process consumes ingest, services"}
    finally:
        worker.stop()


@pytest.mark.parametrize(
    ("recorded", "problem"),
    [
        ("0001", "at revision 0001, this Signalbox needs {head}"),
        ("9999_from_a_newer_signalbox", "at revision 9999_from_a_newer_signalbox, this "
         "Signalbox needs {head}"),
        (None, "not migrated (run: signalbox server database upgrade; head is {head})"),
    ],
)  # fmt: skip
async def test_not_ready_while_the_database_is_at_another_revision(
    api: TestClient, database: Database, recorded: str | None, problem: str
) -> None:
    head = api.app[keys.schema_head]
    async with database.sessions.begin() as session:
        if recorded is None:
            await session.execute(text("DELETE FROM alembic_version"))
        else:
            await session.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": recorded}
            )
    try:
        ready = await api.get("/api/ready")
        assert ready.status == 503
        assert (await ready.json())["problems"] == {"schema": problem.format(head=head)}
    finally:
        async with database.sessions.begin() as session:
            await session.execute(text("DELETE FROM alembic_version"))
            await session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    assert (await api.get("/api/ready")).status == 200
