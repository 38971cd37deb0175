"""Flows: the named pieces of Python code whose runs Signalbox records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id, Name, Updated


class Flow(Base):
    """A flow, known by its name; created the first time a client runs it."""

    __tablename__ = "flow"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
