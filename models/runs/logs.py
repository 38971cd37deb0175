"""Log lines that flows and tasks send while they run."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import Index, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id
from models.filters.base import list_matching

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.db.dialect import DriverInsert
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


def insert_logs(session: Session, insert: DriverInsert) -> None:
    """Run a prepared insert of log records (see `models.db.dialect.prepare_log_insert`)."""
    if insert.parameters:
        session.connection().exec_driver_sql(insert.sql, insert.parameters)


async def filter_logs(session: AsyncSession, body: LogFilterBody) -> list[Log]:
    """The log records matching a filter body, sorted and paged."""
    return await list_matching(session, select(Log), body)
