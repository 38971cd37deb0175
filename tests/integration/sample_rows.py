"""One valid row for every table, built from the models' own columns.

The migration tests fill each table as it appears on the way up and check nothing is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import JSON, Boolean, Column, DateTime, Enum, Float, Integer, Table, Uuid
from sqlalchemy.types import TypeDecorator

from models.db.metadata import metadata

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def sample_value(column: Column[Any]) -> Any:
    """A value of the column's type; every column is filled so every type is exercised."""
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, Uuid):
        return uuid4()
    if isinstance(column_type, DateTime):
        return NOW
    if isinstance(column_type, Boolean):
        return True
    if isinstance(column_type, Integer):
        return 1
    if isinstance(column_type, Float):
        return 1.5
    if isinstance(column_type, JSON):
        return {"sample": [1, "two", None]}
    if isinstance(column_type, Enum):
        return "RUNNING"
    return f"sample {column.name}"


def sample_rows(
    tables: list[Table], parents: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """One row per table, in dependency order, each foreign key pointing at its sample parent.

    `parents` are rows written earlier that the new rows may point at.
    """
    rows: dict[str, dict[str, Any]] = {}
    known = dict(parents or {})
    for table in metadata.sorted_tables:
        if table not in tables:
            continue
        row = {column.name: sample_value(column) for column in table.columns}
        for fk in table.foreign_keys:
            parent = known.get(fk.column.table.name)
            row[fk.parent.name] = parent[fk.column.name] if parent else None
        rows[table.name] = known[table.name] = row
    return rows
