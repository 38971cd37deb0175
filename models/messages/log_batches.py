"""Log batches: the `persist_logs` message, the log records of POST /api/logs/ with their ids."""

from __future__ import annotations

from typing import cast
from uuid import uuid4

from models.schemas.logs import LogRecord


class QueuedLogRecord(LogRecord):
    """One log record of a `persist_logs` message: a `LogRecord` and the id the API gave it.

    Validated by the schema once, at the edge: the API reads each batch with `LogRecord`
    (`read_log_batch`), and a bad batch is a 422 with nothing queued. What reaches the
    actor is what JSON made of the checked values: ids and times as text, times with the
    offset the client gave. The ingest actor reads them on the schema's fast path
    (`models.schemas.logs_fast_path`, tested to agree with `LogRecord`), which puts each
    time in UTC text for the insert and turns a record no API would have queued into a
    dead letter with its reason instead of a half-stored batch.
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
