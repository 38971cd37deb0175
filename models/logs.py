"""Log lines that flows and tasks send while they run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, NotRequired, overload
from uuid import UUID

from pydantic import Field, TypeAdapter
from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from models.base import Base, Created, Id
from models.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: Only records of a task run have an entry in its index: a filter on task runs implies it.
HAS_TASK_RUN: Final = text("task_run_id IS NOT NULL")


class Log(Base):
    """One log record. No foreign keys: logs often name task runs not recorded yet.

    Few indexes, since ingest writes every one of them for every record: a level is only
    filtered together with a run, whose index narrows the rows first.
    """

    __tablename__ = "log"
    __table_args__ = (
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
    timestamp: Mapped[datetime] = mapped_column(index=True)
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
    database, cost more than SQLite's insert of the row; `log_rows` goes from text to text.
    """

    id: UuidText
    name: Annotated[str, Field(max_length=255)]
    level: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
    message: str
    timestamp: str  # ISO 8601 with its offset; checked by `stored_timestamp`
    flow_run_id: NotRequired[UuidText | None]
    task_run_id: NotRequired[UuidText | None]


#: The records of one ingest message.
ingested_log_records: TypeAdapter[list[IngestedLogRecord]] = TypeAdapter(list[IngestedLogRecord])

#: A log row in the column order of `INSERT_LOG_ROWS`, with values as the database stores them.
LogRow = tuple[str, Any, str, int, str, Any, str | None, str | None]

#: INSERT-or-ignore of log rows in the drivers' own parameter styles: a redelivered batch adds
#: nothing. Driver SQL, because SQLAlchemy's per-value processing of a compiled insert cost
#: more than the insert itself, and the rows are already in the form each database stores.
INSERT_LOG_ROWS: Final = {
    dialect: "INSERT INTO log (id, created, name, level, message, timestamp, flow_run_id, "
    f"task_run_id) VALUES ({', '.join([marker] * 8)}) ON CONFLICT (id) DO NOTHING"
    for dialect, marker in (("sqlite", "?"), ("postgresql", "%s"))
}


def log_rows(records: Sequence[IngestedLogRecord], dialect: str) -> list[LogRow]:
    """The rows that store `records` on `dialect`, ids and times as that database keeps them.

    Raises ValueError for a timestamp that is not ISO 8601 with an offset. SQLite keeps
    UUIDs as 32 hex digits and times as naive UTC text (see `sqlite_datetime`); PostgreSQL
    is handed the text and parses it itself.
    """
    now = utcnow()
    if dialect == "sqlite":
        created = sqlite_datetime(now)
        return [
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
    return [
        (
            record["id"],
            now,
            record["name"],
            record["level"],
            record["message"],
            stored_timestamp(record["timestamp"]),
            record.get("flow_run_id"),
            record.get("task_run_id"),
        )
        for record in records
    ]


def insert_log_rows(session: Session, rows: Sequence[LogRow]) -> None:
    """Store log rows (from `log_rows`) in one executemany; ids already stored are skipped."""
    if rows:
        connection = session.connection()
        connection.exec_driver_sql(INSERT_LOG_ROWS[connection.dialect.name], list(rows))


def stored_timestamp(text: str) -> str | datetime:
    """An ISO 8601 timestamp as PostgreSQL is handed it: the text itself if it is the usual
    UTC form, else the parsed datetime. Raises ValueError if it has no offset."""
    moment = aware_datetime(text)
    return text if is_plain_utc(text) else moment


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
