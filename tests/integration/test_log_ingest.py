"""The ingest actor's log records: stored as the ids and instants they name, bad ones refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from actors.ingest import persist_logs
from models.db.database import Database
from models.messages.dead_letters import DeadLetter
from models.runs.logs import Log
from tests.running import Drain


def record(timestamp: str, **fields: Any) -> dict[str, Any]:
    return {"id": uuid4().hex, "name": "prefect.task_runs", "level": 20, "message": "m",
            "timestamp": timestamp} | fields  # fmt: skip


async def stored_logs(database: Database) -> list[Log]:
    async with database.read_sessions() as session:
        return list(await session.scalars(select(Log).order_by(Log.timestamp)))


async def test_ids_in_any_spelling_are_stored_as_the_uuids_they_name(
    database: Database, drain: Drain
) -> None:
    log_id, flow_run_id, task_run_id = uuid4(), uuid4(), uuid4()
    persist_logs.send(
        [
            record(
                "2026-11-25T18:00:00.000001+00:00",
                id=str(log_id).upper(),
                flow_run_id=flow_run_id.hex,
                task_run_id=str(task_run_id),
            ),
            record("2026-11-25T18:00:00.000002+00:00", flow_run_id=None),
        ]
    )
    await drain()

    first, second = await stored_logs(database)
    assert (first.id, first.flow_run_id, first.task_run_id) == (log_id, flow_run_id, task_run_id)
    assert (second.flow_run_id, second.task_run_id) == (None, None)
    async with database.read_sessions() as session:
        by_task_run = await session.scalars(select(Log.id).where(Log.task_run_id == task_run_id))
        assert list(by_task_run) == [log_id]


async def test_times_in_any_offset_are_stored_as_the_instants_they_name_in_their_order(
    database: Database, drain: Drain
) -> None:
    persist_logs.send(
        [
            record("2026-11-25T19:00:00.5+01:00", message="third"),
            record("2026-11-25T18:00:00.400000+00:00", message="second"),
            record("2026-11-25T18:00:00Z", message="first"),
            # As long as the usual UTC form, but not it.
            record("2026-11-25 18:00:01.000000+00:00", message="fourth"),
        ]
    )
    await drain()

    logs = await stored_logs(database)
    assert [(log.message, log.timestamp) for log in logs] == [
        ("first", datetime(2026, 11, 25, 18, 0, tzinfo=UTC)),
        ("second", datetime(2026, 11, 25, 18, 0, 0, 400000, tzinfo=UTC)),
        ("third", datetime(2026, 11, 25, 18, 0, 0, 500000, tzinfo=UTC)),
        ("fourth", datetime(2026, 11, 25, 18, 0, 1, tzinfo=UTC)),
    ]
    # Compared in the database (as text on SQLite) with a time bound by SQLAlchemy.
    async with database.read_sessions() as session:
        later = await session.scalars(
            select(Log.message).where(Log.timestamp > datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
        )
        assert sorted(later) == ["fourth", "second", "third"]


@pytest.mark.parametrize(
    "refused",
    [
        "2026-11-25T18:00:00.2",
        # A week date: as long as the usual UTC form, and read by `datetime.fromisoformat`,
        # but no time `LogRecord` accepts, so no time the API ever queues.
        "2026-W48-3T18:00:01.000000+00:00",
    ],
    ids=["without an offset", "a week date"],
)
async def test_a_time_the_api_refuses_is_a_dead_letter_alone_at_once_and_the_rest_is_stored(
    database: Database, drain: Drain, refused: str
) -> None:
    kept, bad = record("2026-11-25T18:00:00.1+00:00"), record(refused)
    persist_logs.send([kept, bad])
    await drain()

    assert [log.id for log in await stored_logs(database)] == [UUID(kept["id"])]
    async with database.read_sessions() as session:
        [letter] = await session.scalars(select(DeadLetter))
    assert letter.message["args"][0] == [bad]
    assert letter.reason.startswith("RecordRefused: ValueError") and refused in letter.reason
    assert "retries" not in letter.message["options"]  # refused, never retried


async def test_a_redelivered_batch_stores_each_record_once(
    database: Database, drain: Drain
) -> None:
    batch = [record(f"2026-11-25T18:00:0{n}.000000+00:00") for n in range(3)]
    persist_logs.send(batch)
    persist_logs.send(batch)
    await drain()

    assert sorted(log.id for log in await stored_logs(database)) == sorted(
        UUID(log["id"]) for log in batch
    )
