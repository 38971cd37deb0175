"""Log lines that flows and tasks send while they run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, NotRequired, overload
from uuid import UUID

import orjson
from pydantic import Field, TypeAdapter
from sqlalchemy import Index, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from models.db.base import Base, Created, Id
from models.db.types import utcnow
from models.filters.base import list_matching

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.filters.bodies import LogFilterBody


#: Only records of a task run have an entry in its index: a filter on task runs implies it.
HAS_TASK_RUN: Final = text("task_run_id IS NOT NULL")


class Log(Base):
    """One log record. No foreign keys: logs often name task runs not recorded yet.

    Few indexes, since ingest writes every one of them for every record: a level is only
    filtered together with a run, whose index narrows the rows first.
    """

    __tablename__ = "log"
    __table_args__ = (
        # Logs list by time, then id (see `LogSort`): the whole order comes from the index.
        Index("ix_log_timestamp_id", "timestamp", "id"),
        Index("ix_log_flow_run_id_timestamp", "flow_run_id", "timestamp"),
        Index(
            "ix_log_task_run_id_timestamp",
            "task_run_id",
            "timestamp",
            sqlite_where=HAS_TASK_RUN,
            postgresql_where=HAS_TASK_RUN,
        ),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime]
    flow_run_id: Mapped[UUID | None]
    task_run_id: Mapped[UUID | None]


#: A UUID as text, with or without its dashes: the API writes log ids without, run ids with.
UUID_TEXT: Final = (
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
UuidText = Annotated[str, Field(pattern=UUID_TEXT)]


class IngestedLogRecord(TypedDict):
    """A log record of an ingest message, checked but left as the text the API wrote.

    Parsing UUIDs and datetimes into objects, only to turn them back into text for the
    database, cost more than SQLite's insert of the row; `prepare_log_insert` goes from text
    to text.
    """

    id: UuidText
    name: Annotated[str, Field(max_length=255)]
    level: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
    message: str
    timestamp: str  # ISO 8601 with its offset; checked by `prepare_log_insert`
    flow_run_id: NotRequired[UuidText | None]
    task_run_id: NotRequired[UuidText | None]


#: The records of one ingest message.
ingested_log_records: TypeAdapter[list[IngestedLogRecord]] = TypeAdapter(list[IngestedLogRecord])

#: INSERT-or-ignore of rows ready for SQLite: a redelivered batch adds nothing. Driver SQL,
#: since SQLAlchemy's per-value processing of a compiled insert cost more than the insert.
SQLITE_INSERT_LOGS: Final = (
    "INSERT INTO log (id, created, name, level, message, timestamp, flow_run_id, task_run_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
#: The same on PostgreSQL, which reads the whole batch from one JSON parameter itself:
#: psycopg's executemany spent more of the ingest worker's CPU per record than all the rest.
POSTGRESQL_INSERT_LOGS: Final = """
INSERT INTO log (id, created, name, level, message, timestamp, flow_run_id, task_run_id)
SELECT id, %s, name, level, message, "timestamp", flow_run_id, task_run_id
FROM json_to_recordset(%s::json) AS record(
    id uuid, name text, level integer, message text, "timestamp" timestamptz,
    flow_run_id uuid, task_run_id uuid
)
ON CONFLICT (id) DO NOTHING
"""


@dataclass(frozen=True)
class LogInsert:
    """The insert of a batch of log records, in the form its database's driver takes."""

    sql: str
    parameters: list[tuple[Any, ...]] | tuple[Any, ...]


def prepare_log_insert(records: Sequence[IngestedLogRecord], dialect: str) -> LogInsert:
    """The insert storing `records` on `dialect` under their ids, skipping ids already stored.

    Raises ValueError for a timestamp that is not ISO 8601 with an offset. SQLite is handed
    rows with UUIDs as 32 hex digits and times as naive UTC text (see `sqlite_datetime`);
    PostgreSQL the records as JSON, to parse itself.
    """
    if dialect == "sqlite":
        created = sqlite_datetime(utcnow())
        rows = [
            (
                sqlite_uuid(record["id"]),
                created,
                record["name"],
                record["level"],
                record["message"],
                sqlite_timestamp(record["timestamp"]),
                sqlite_uuid(record.get("flow_run_id")),
                sqlite_uuid(record.get("task_run_id")),
            )
            for record in records
        ]
        return LogInsert(SQLITE_INSERT_LOGS, rows)
    for record in records:
        # Checked here: PostgreSQL would take a time without an offset as UTC. A time in
        # another form than the usual goes in the one form PostgreSQL surely reads alike.
        moment = aware_datetime(record["timestamp"])
        if not is_plain_utc(record["timestamp"]):
            record["timestamp"] = moment.isoformat()
    return LogInsert(POSTGRESQL_INSERT_LOGS, (utcnow(), orjson.dumps(records).decode()))


def insert_logs(session: Session, insert: LogInsert) -> None:
    """Run a prepared insert of log records (see `prepare_log_insert`)."""
    if insert.parameters:
        session.connection().exec_driver_sql(insert.sql, insert.parameters)


def sqlite_timestamp(text: str) -> str:
    """An ISO 8601 timestamp as `UtcDateTime` stores it on SQLite (see `sqlite_datetime`).

    Raises ValueError if it is not ISO 8601 with an offset.
    """
    moment = aware_datetime(text)
    if is_plain_utc(text):  # the same digits: only the separator and the offset differ
        return f"{text[:10]} {text[11:26]}"
    return sqlite_datetime(moment)


def aware_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"Timestamp {text!r} has no UTC offset.")
    return moment


def is_plain_utc(text: str) -> bool:
    """Whether `text` (a valid ISO 8601 time) reads YYYY-MM-DDTHH:MM:SS.ffffff+00:00.

    That is how the API's messages write UTC times (orjson), so nearly every record is.
    """
    if len(text) != 32 or not text.endswith("+00:00"):
        return False
    return text[4] + text[7] + text[10] + text[13] + text[16] + text[19] == "--T::."


def sqlite_datetime(value: datetime) -> str:
    """An aware datetime as `UtcDateTime` stores it on SQLite: UTC, naive, microseconds.

    SQLite compares these as text, so the format must be exactly SQLAlchemy's.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@overload
def sqlite_uuid(text: str) -> str: ...
@overload
def sqlite_uuid(text: None) -> None: ...
def sqlite_uuid(text: str | None) -> str | None:
    """A UUID's text (checked by `UUID_TEXT`) as SQLAlchemy's `Uuid` stores it on SQLite:
    32 lowercase hex digits."""
    return None if text is None else text.replace("-", "").lower()


async def filter_logs(session: AsyncSession, body: LogFilterBody) -> list[Log]:
    """The log records matching a filter body, sorted and paged."""
    return await list_matching(session, select(Log), body)
