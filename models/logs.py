"""Log lines that flows and tasks send while they run."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id


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
