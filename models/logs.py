"""Log lines that flows and tasks send while they run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Index, String, Text, column, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id
from models.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.schemas.logs import StoredLogRecord


class Log(Base):
    """One log record. No foreign keys: logs often name task runs not recorded yet."""

    __tablename__ = "log"
    __table_args__ = (
        Index("ix_log_flow_run_id_timestamp", "flow_run_id", "timestamp"),
        Index("ix_log_task_run_id_timestamp", "task_run_id", "timestamp"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(index=True)
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(index=True)
    flow_run_id: Mapped[UUID | None]
    task_run_id: Mapped[UUID | None]


#: The log table without column types, for the bulk insert: SQLAlchemy's per-value type
#: processing (UUIDs, UTC datetimes) cost more than the insert itself, so `insert_logs`
#: hands the driver values already in the form each database stores.
untyped_log = table("log", *(column(log_column.name) for log_column in Log.__table__.c))

#: INSERT-or-ignore of log rows, built once per dialect: a redelivered batch adds nothing.
INSERT_LOGS = {
    "sqlite": sqlite.insert(untyped_log).on_conflict_do_nothing(index_elements=["id"]),
    "postgresql": postgresql.insert(untyped_log).on_conflict_do_nothing(index_elements=["id"]),
}


def insert_logs(session: Session, records: Sequence[StoredLogRecord]) -> None:
    """Store log records under the ids the API gave them; a redelivered batch adds nothing.

    One executemany of a prebuilt statement; on PostgreSQL psycopg takes UUIDs and aware
    datetimes as they are, on SQLite they are written as SQLAlchemy stores them (see
    `sqlite_datetime`).
    """
    if not records:
        return
    dialect = session.get_bind().dialect.name
    now = utcnow()
    if dialect == "sqlite":
        created = sqlite_datetime(now)
        rows = [
            {
                "id": record["id"].hex,
                "created": created,
                "name": record["name"],
                "level": record["level"],
                "message": record["message"],
                "timestamp": sqlite_datetime(record["timestamp"]),
                "flow_run_id": sqlite_uuid(record.get("flow_run_id")),
                "task_run_id": sqlite_uuid(record.get("task_run_id")),
            }
            for record in records
        ]
    else:
        rows = [
            {
                "id": record["id"],
                "created": now,
                "name": record["name"],
                "level": record["level"],
                "message": record["message"],
                "timestamp": record["timestamp"],
                "flow_run_id": record.get("flow_run_id"),
                "task_run_id": record.get("task_run_id"),
            }
            for record in records
        ]
    session.execute(INSERT_LOGS[dialect], rows)


def sqlite_datetime(value: datetime) -> str:
    """An aware datetime as `UtcDateTime` stores it on SQLite: UTC, naive, microseconds.

    SQLite compares these as text, so the format must be exactly SQLAlchemy's.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_uuid(value: UUID | None) -> Any:
    """A UUID as SQLAlchemy's `Uuid` stores it on SQLite: 32 hex digits."""
    return None if value is None else value.hex
