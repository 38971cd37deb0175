"""Wire schemas of log lines: the records of POST /api/logs/ and what a log reads as."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, NotRequired
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from models.schemas.stored_times import StoredTime

#: Records one POST /api/logs/ may carry. The client sends a batch every 2 s of at most
#: 4,000,000 bytes; its smallest records are about 110 bytes, hence ~36,000 at worst.
MAX_LOG_BATCH: Final = 50_000

#: Characters of one message that are kept. The client drops records over 1,000,000 bytes
#: itself; a longer message from another sender is cut, not refused with its whole batch.
MAX_LOG_MESSAGE_CHARS: Final = 1_000_000

#: What replaces a NUL character, which PostgreSQL text columns cannot hold.
NUL_REPLACEMENT: Final = "\ufffd"


class LogRecord(TypedDict):
    """One record of a POST /api/logs/ batch: what the API describes and validates.

    A plain dict, so validation stays in pydantic-core (no model per record, no dump back
    to a dict), which is most of the cost of a record. NUL characters and over-long
    messages are handled by `clean_log_records`, which only the rare batch that has them
    needs. The run ids have no foreign keys behind them: a log often names a task run whose
    events have not reached the server yet. The ingest actors check the queued records
    with `models.schemas.logs_fast_path`, which accepts exactly what this accepts.
    """

    name: Annotated[str, Field(max_length=255)]
    #: Python logging level; stored in a 32-bit integer column.
    level: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
    message: str
    timestamp: StoredTime
    flow_run_id: NotRequired[UUID | None]
    task_run_id: NotRequired[UUID | None]


#: One record, on its own.
log_record: TypeAdapter[LogRecord] = TypeAdapter(LogRecord)
#: The body of POST /api/logs/.
log_batch: TypeAdapter[list[LogRecord]] = TypeAdapter(
    Annotated[list[LogRecord], Field(max_length=MAX_LOG_BATCH)]
)


def read_log_batch(body: bytes) -> list[LogRecord]:
    """The records of a POST /api/logs/ body, cleaned; raises pydantic's ValidationError."""
    records = log_batch.validate_json(body)
    if may_need_cleaning(body):
        clean_log_records(records)
    return records


def may_need_cleaning(body: bytes) -> bool:
    """Whether a JSON batch may hold a NUL character or a message too long to keep.

    JSON writes NUL inside a string only as the escape \\u0000, and no message can be longer
    than the body holding it, so most batches skip `clean_log_records` altogether.
    """
    return len(body) > MAX_LOG_MESSAGE_CHARS or b"\\u0000" in body


def clean_log_records(records: list[LogRecord]) -> None:
    """Replace NUL characters (PostgreSQL text cannot hold them) and cut long messages."""
    for record in records:
        record["name"] = record["name"].replace("\x00", NUL_REPLACEMENT)
        message = record["message"].replace("\x00", NUL_REPLACEMENT)
        record["message"] = message[:MAX_LOG_MESSAGE_CHARS]


class LogResponse(BaseModel):
    """A stored log line as the client reads it (POST /api/logs/filter)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    name: str
    level: int
    message: str
    timestamp: datetime
    flow_run_id: UUID | None
    task_run_id: UUID | None
