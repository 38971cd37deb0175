"""Log lines that flows and tasks send while they run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id
from models.queries import insert_ignoring_duplicates_now
from models.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.schemas.logs import LogCreate


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


def insert_logs(session: Session, records: Sequence[LogCreate], ids: Sequence[str | UUID]) -> int:
    """Store log records under the ids the API gave them; a redelivered batch adds nothing."""
    now = utcnow()
    rows = [
        {
            "id": UUID(str(log_id)),
            "created": now,
            "name": record.name,
            "level": record.level,
            "message": record.message,
            "timestamp": record.timestamp,
            "flow_run_id": record.flow_run_id,
            "task_run_id": record.task_run_id,
        }
        for record, log_id in zip(records, ids, strict=True)
    ]
    return insert_ignoring_duplicates_now(session, Log, rows)
