"""Artifacts that runs publish, and the latest artifact of each key."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id, Updated


class Artifact(Base):
    """One published artifact (markdown, table, link, progress, image).

    The run references have no foreign keys: an artifact often names a task run whose
    events have not reached the server yet.
    """

    __tablename__ = "artifact"
    __table_args__ = (Index("ix_artifact_key_created", "key", "created"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    key: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[Any | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    flow_run_id: Mapped[UUID | None] = mapped_column(index=True)
    task_run_id: Mapped[UUID | None] = mapped_column(index=True)


class ArtifactCollection(Base):
    """The latest artifact published under a key, copied so `/latest` reads one row."""

    __tablename__ = "artifact_collection"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    key: Mapped[str] = mapped_column(String(255), unique=True)
    latest_id: Mapped[UUID]
    type: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[Any | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    flow_run_id: Mapped[UUID | None]
    task_run_id: Mapped[UUID | None]
