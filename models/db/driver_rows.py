"""Hot inserts handed to SQLite's driver, each value converted once: `DriverRows`.

Inside an executemany SQLAlchemy runs every value of every row through its column type's
bind processing (`UtcDateTime`, then SQLite's DATETIME, `Uuid`, `Enum`, `JSON`) and builds a
parameter dictionary per row; for the `state` pool's task-run events that was more of its
CPU than SQLite's own work. A `DriverRows` compiles its Core statement once for SQLite and
picks, once per column, a function that writes a value exactly as SQLAlchemy stores it
there (the same text, JSON included, so searches over stored JSON read alike); a batch is
then one list of tuples for the driver's executemany.

PostgreSQL keeps the Core statement: psycopg adapts UUIDs and times itself, and its share
of a batch there is the network, not the values.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import JSON, Enum, Float, Integer, String, Uuid
from sqlalchemy.dialects import sqlite

from models.db.types import UtcDateTime

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table
    from sqlalchemy.sql.dml import Insert
    from sqlalchemy.types import TypeEngine

Convert = Callable[[Any], Any]


class DriverRows:
    """One INSERT of many rows: driver SQL with converted values on SQLite, Core elsewhere.

    Every row must carry every column of the table (a missing one is a KeyError, never a
    silent NULL): the statement is compiled once, for all of them.
    """

    def __init__(self, statements: Mapping[str, Insert], table: Table) -> None:
        self.statements = statements
        compiled = statements["sqlite"].compile(
            dialect=sqlite.dialect(), column_keys=[column.key for column in table.c]
        )
        self.sql: Final = str(compiled)
        keys = compiled.positiontup or []
        self.columns: Final = tuple((key, sqlite_value(table.c[key].type)) for key in keys)

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        dialect = connection.dialect.name
        if dialect != "sqlite":
            connection.execute(self.statements[dialect], list(rows))
            return
        columns = self.columns
        connection.exec_driver_sql(
            self.sql, [tuple(convert(row[key]) for key, convert in columns) for row in rows]
        )


def sqlite_value(column_type: TypeEngine[Any]) -> Convert:
    """How SQLAlchemy writes a value of `column_type` on SQLite, as one function."""
    if isinstance(column_type, UtcDateTime):
        return stored_time
    if isinstance(column_type, Uuid):
        return stored_uuid
    if isinstance(column_type, Enum):
        return stored_enum
    if isinstance(column_type, JSON):
        return json.dumps  # SQLAlchemy's serializer when the engine names none; None: "null"
    if isinstance(column_type, String | Integer | Float):
        return same
    raise NotImplementedError(f"No driver conversion for {column_type!r}")


def same(value: Any) -> Any:
    return value


def stored_time(value: datetime | None) -> str | None:
    """UTC, naive, with microseconds: the text SQLite compares (`UtcDateTime` refuses naive)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"Naive datetime {value!r}: Signalbox stores aware UTC times only")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def stored_uuid(value: UUID | str | None) -> str | None:
    """32 lowercase hex digits, as `Uuid` stores them without a native type."""
    if value is None:
        return None
    if type(value) is UUID:
        return value.hex
    return UUID(str(value)).hex


def stored_enum(value: enum.Enum | str | None) -> str | None:
    """A member's name, as a non-native `Enum` stores it."""
    return value.name if isinstance(value, enum.Enum) else value
