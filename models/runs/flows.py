"""Flows: the named pieces of Python code whose runs Signalbox records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db.base import Base, Created, Id, Name, Updated
from models.db.dialect import ignoring_duplicates


class Flow(Base):
    """A flow, known by its name; created the first time a client runs it."""

    __tablename__ = "flow"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)


def find_or_create_flow(session: Session, row: dict[str, Any]) -> tuple[Flow, bool]:
    """The flow named `row["name"]`, made from `row` unless it exists; and whether it is new.

    Synchronous: run it with `Database.write`. The Prefect client creates its flow before
    every flow run, so this is as hot as creating the run, and in the group-commit writer
    it queues with the other writes instead of waiting for SQLite's lock on a connection of
    its own.
    """
    inserted = session.execute(ignoring_duplicates(session, Flow, ["name"]), [row]).first()
    flow = session.scalars(select(Flow).where(Flow.name == row["name"])).one()
    return flow, inserted is not None
