"""The `ingest` queue: log batches and events, written in one transaction per message."""

from __future__ import annotations

import dramatiq
from pydantic import ValidationError
from sqlalchemy.orm import Session

from actors import resources
from actors.automations import evaluate_events
from actors.enqueue import enqueue
from actors.retrying import PERSISTENCE_OPTIONS
from models.db.dialect import prepare_log_insert
from models.events.tables import insert_events, record_flow_run_heartbeats
from models.messages.event_batches import QueuedEvent, event_batch
from models.messages.log_batches import QueuedLogRecord
from models.runs.logs import insert_logs
from models.schemas.logs_fast_path import check_queued_log_records


@dramatiq.actor(
    queue_name="ingest",
    # A record that cannot be stored: a time without an offset (ValueError), or a record
    # missing a field or of the wrong type, which no message the API queued has.
    throws=(ValueError, KeyError, TypeError),
    **PERSISTENCE_OPTIONS,
)
async def persist_logs(logs: list[QueuedLogRecord]) -> None:
    """Store a batch of log records; each carries the id the API gave it, so a redelivery
    stores nothing twice. The API validated them (see `QueuedLogRecord`)."""
    database = resources.database()
    # Prepared here, on the worker's event loop, so that the writer thread, which every
    # write of this process waits for, spends its time in the database.
    insert = prepare_log_insert(check_queued_log_records(logs), database.dialect)
    await database.write(lambda session: insert_logs(session, insert))


@dramatiq.actor(queue_name="ingest", throws=(ValidationError,), **PERSISTENCE_OPTIONS)
async def persist_events(events: list[QueuedEvent]) -> None:
    """Store a batch of events (each once, by id) and note flow-run heartbeats."""
    parsed = event_batch.validate_python(events)

    def store(session: Session) -> None:
        insert_events(session, parsed)
        record_flow_run_heartbeats(session, parsed)

    await resources.database().write(store)
    # Committed: now the automations may see them (a crash before this redelivers the batch).
    await enqueue(evaluate_events, [str(event.id) for event in parsed])
