"""Dead letters through the admin API: listed per queue, replayed one by one or a queue at a
time (and processed), purged per queue."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from actors.ingest import persist_logs
from models.db.database import Database
from models.messages.dead_letters import DeadLetter, record_dead_letter
from models.runs.logs import Log
from tests.running import Drain


async def dead_log_message(database: Database, text: str, queue_name: str = "ingest") -> str:
    """A log batch whose retries ran out, kept as a dead letter; returns the log's id."""
    log_id = str(uuid.uuid4())
    message = persist_logs.message(
        [{"id": log_id, "name": "x", "level": 20, "message": text,
          "timestamp": "2026-11-25T18:00:00Z"}]
    )  # fmt: skip
    async with database.sessions.begin() as session:
        await record_dead_letter(
            session, message_id=message.message_id, queue_name=queue_name,
            actor_name="persist_logs", message=message.asdict(), reason=f"OperationalError: {text}",
        )  # fmt: skip
    return log_id


async def listed(api: TestClient, query: str = "") -> list[dict[str, Any]]:
    response = await api.get(f"/api/admin/dead_letters{query}")
    assert response.status == 200, await response.text()
    return list(await response.json())


async def test_a_dead_letter_is_listed_replayed_and_processed(
    api: TestClient, database: Database, drain: Drain
) -> None:
    log_id = await dead_log_message(database, "came back")
    [letter] = [row for row in await listed(api, "?queue=ingest") if "came back" in row["reason"]]
    assert letter["actor_name"] == "persist_logs" and letter["replay_count"] == 0
    assert "message" not in letter  # a listing never carries what the message held

    response = await api.post(f"/api/admin/dead_letters/{letter['id']}/replay")
    assert response.status == 202, await response.text()
    replayed = await response.json()
    assert replayed["dead_letter_id"] == letter["id"] and replayed["queue_name"] == "ingest"
    await drain()
    async with database.read_sessions() as session:
        stored = await session.get(Log, uuid.UUID(log_id))
        row = await session.get(DeadLetter, uuid.UUID(letter["id"]))
    assert stored is not None and stored.message == "came back"
    assert row is not None and row.replay_count == 1

    unknown = await api.post(f"/api/admin/dead_letters/{uuid.uuid4()}/replay")
    assert unknown.status == 404


async def test_a_queues_dead_letters_are_replayed_together_and_others_left(
    api: TestClient, database: Database, drain: Drain
) -> None:
    first = await dead_log_message(database, "first of two")
    second = await dead_log_message(database, "second of two")
    await dead_log_message(database, "elsewhere", queue_name="state")
    response = await api.post("/api/admin/dead_letters/replay", json={"queue_name": "ingest"})
    assert response.status == 202, await response.text()
    assert {row["queue_name"] for row in await response.json()} == {"ingest"}
    await drain()
    async with database.read_sessions() as session:
        for log_id in (first, second):
            assert await session.get(Log, uuid.UUID(log_id)) is not None
    [elsewhere] = [row for row in await listed(api, "?queue=state") if "elsewhere" in row["reason"]]
    assert elsewhere["replay_count"] == 0


async def test_purging_forgets_one_queues_dead_letters(api: TestClient, database: Database) -> None:
    await dead_log_message(database, "purged one", queue_name="notify.webhook")
    await dead_log_message(database, "purged two", queue_name="notify.webhook")
    await dead_log_message(database, "kept", queue_name="notify.slack")
    response = await api.delete("/api/admin/dead_letters?queue=notify.webhook")
    assert response.status == 200, await response.text()
    assert await response.json() == {"queue_name": "notify.webhook", "purged": 2}
    assert await listed(api, "?queue=notify.webhook") == []
    assert [row["reason"] for row in await listed(api, "?queue=notify.slack")] == [
        "OperationalError: kept"
    ]
    nameless = await api.delete("/api/admin/dead_letters")
    assert nameless.status == 422
    assert "name the queue" in (await nameless.json())["detail"]
