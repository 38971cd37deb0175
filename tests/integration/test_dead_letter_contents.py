"""The dead-letter store takes any message: NUL characters, NaN and Infinity included."""

from __future__ import annotations

import asyncio
import math

import pytest
from sqlalchemy import select

from actors.ingest import persist_logs
from models.db.database import Database
from models.messages.dead_letters import DeadLetter, record_dead_letter
from models.settings import Settings
from tests.integration.test_log_ingest import record
from tests.integration.test_queue_admin import run_cli
from tests.running import Drain


async def all_dead_letters(database: Database) -> list[DeadLetter]:
    async with database.read_sessions() as session:
        return list(await session.scalars(select(DeadLetter)))


async def test_messages_holding_nul_nan_or_infinity_are_all_dead_letters_and_all_listed(
    database: Database, settings: Settings, drain: Drain
) -> None:
    refused = [
        record("2026-W48-3T18:00:01.000000+00:00", message="a\x00b"),
        record("2026-11-25T18:00:00Z", level=math.nan, name="n\x00"),
        record("2026-11-25T18:00:00Z", level=math.inf),
    ]
    sent = [persist_logs.send([log]) for log in refused]
    await drain()

    letters = await all_dead_letters(database)
    assert sorted(letter.message_id for letter in letters) == sorted(m.message_id for m in sent)
    listed = await asyncio.to_thread(run_cli, settings, "queue", "dead-letters")
    assert listed.exit_code == 0, listed.output
    assert all(str(letter.id) in listed.output for letter in letters)
    # What listings read is readable; what a replay sends is the message exactly.
    by_id = {letter.message_id: letter for letter in letters}
    first = by_id[sent[0].message_id]
    assert first.message["args"][0][0]["message"] == "a\ufffdb"
    assert first.original_message["args"][0][0]["message"] == "a\x00b"
    # The broker's JSON writes NaN and Infinity as null: they reach the actor as nothing.
    assert by_id[sent[1].message_id].message["args"][0][0]["name"] == "n\ufffd"


@pytest.mark.parametrize(
    ("reason", "level"), [("ValueError: a\x00b", 20), ("plain", math.nan), ("plain", -math.inf)]
)
async def test_a_dead_letter_replays_the_message_exactly_as_it_failed(
    database: Database, reason: str, level: float
) -> None:
    log = record("2026-11-25T18:00:00Z", message="exact\x00ly", level=level)
    message = persist_logs.message([log])
    async with database.sessions.begin() as session:
        await record_dead_letter(
            session, message_id=message.message_id, queue_name="ingest",
            actor_name="persist_logs", message=message.asdict(), reason=reason,
        )  # fmt: skip
    [letter] = await all_dead_letters(database)
    assert letter.reason == reason.replace("\x00", "\ufffd")
    assert letter.message["args"][0][0]["message"] == "exact\ufffdly"
    kept = letter.original_message["args"][0][0]
    assert kept["message"] == "exact\x00ly"
    assert kept["level"] == level or (math.isnan(level) and math.isnan(kept["level"]))
