"""Log batches: the `persist_logs` message, the log records of POST /api/logs/ with their ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from uuid import uuid4

from models.schemas.logs import LogRecord

if TYPE_CHECKING:
    from models.runs.logs import IngestedLogRecord


class QueuedLogRecord(LogRecord):
    """One log record of a `persist_logs` message: a `LogRecord` and the id the API gave it.

    Validated once, at the edge: the API checks each record (`log_batch`) before it queues
    it, and a bad batch is a 422 with nothing queued. The ingest actor does not check the
    records again (`received_log_records`): the API is their only sender, and at ~100,000
    records a second that check cost a third as much again as preparing their rows. What
    reaches the actor is what JSON made of the checked values: ids and times as text,
    times with the offset the client gave. Converting them for the database still refuses
    a time without an offset (`prepare_log_insert`), which makes its message a dead letter.
    """

    #: 32 hex digits, chosen by the API: a redelivered message stores nothing twice.
    id: str


def number_log_records(records: list[LogRecord]) -> list[QueuedLogRecord]:
    """Give each record of a batch its id, in place, and return the batch as queued.

    One random UUID for the batch, whose last 8 hex digits are replaced by the record's
    index (a batch has fewer than 16**8 records); its version and variant digits stay.
    """
    prefix = uuid4().hex[:24]
    queued = cast(list[QueuedLogRecord], records)  # in place: a copy per record costs
    for index, record in enumerate(queued):
        record["id"] = f"{prefix}{index:08x}"
    return queued


def received_log_records(logs: list[Any]) -> list[IngestedLogRecord]:
    """The records of a `persist_logs` message as the actor receives them, not checked
    again (see `QueuedLogRecord`)."""
    return cast("list[IngestedLogRecord]", logs)
