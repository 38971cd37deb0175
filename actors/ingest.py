"""The `ingest` queue: log batches and events, written in one transaction per message."""

from __future__ import annotations

import dramatiq
from sqlalchemy.orm import Session

from actors import resources
from actors.automations import evaluate_events
from actors.enqueue import enqueue
from actors.refused_records import RecordRefused, store_or_split
from actors.retrying import PERSISTENCE_OPTIONS
from models.db.dialect import prepare_log_insert
from models.events.tables import insert_events, record_flow_run_heartbeats
from models.messages.event_batches import QueuedEvent, event_batch
from models.messages.log_batches import QueuedLogRecord
from models.runs.logs import insert_logs
from models.schemas.logs_fast_path import check_queued_log_records


@dramatiq.actor(
    queue_name="ingest",
    # A record refused alone (see `actors.refused_records`): a dead letter at once.
    throws=(RecordRefused,),
    **PERSISTENCE_OPTIONS,
)
async def persist_logs(logs: list[QueuedLogRecord]) -> None:
    """Store a batch of log records; each carries the id the API gave it, so a redelivery
    stores nothing twice. The API validated them (see `QueuedLogRecord`); a record that
    still cannot be read or stored is split off until it is a dead letter alone."""
    database = resources.database()

    async def store() -> None:
        # Prepared here, on the worker's event loop, so that the writer thread, which every
        # write of this process waits for, spends its time in the database.
        insert = prepare_log_insert(check_queued_log_records(logs), database.dialect)
        await database.write(lambda session: insert_logs(session, insert))

    await store_or_split(logs, store, lambda half: enqueue(persist_logs, half))


@dramatiq.actor(queue_name="ingest", throws=(RecordRefused,), **PERSISTENCE_OPTIONS)
async def persist_events(events: list[QueuedEvent]) -> None:
    """Store a batch of events (each once, by id) and note flow-run heartbeats; an event
    that cannot be read or stored is split off until it is a dead letter alone."""

    async def store() -> None:
        parsed = event_batch.validate_python(events)

        def write(session: Session) -> None:
            insert_events(session, parsed)
            record_flow_run_heartbeats(session, parsed)

        await resources.database().write(write)
        # Committed: now the automations may see them (a crash before this redelivers the
        # batch).
        await enqueue(evaluate_events, [str(event.id) for event in parsed])

    await store_or_split(events, store, lambda half: enqueue(persist_events, half))
