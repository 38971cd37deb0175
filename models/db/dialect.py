"""Every difference between SQLite and PostgreSQL that a code path meets, in one module.

Elsewhere code passes a session or the dialect's name ("sqlite", "postgresql") to what is
here and never branches on it. What differs, and why:

- INSERT ... ON CONFLICT: SQLAlchemy has the clause only on each dialect's own `insert`
  construct (`insert_for`, `dialect_insert`, `ignore_duplicates`, `upsert`).
- Hot statements are built once per dialect at import (`per_dialect`), so a call costs a
  dictionary lookup and SQLAlchemy's statement cache is hit every time.
- Tags (JSON lists) in filters: JSONB containment (`@>`, which the GIN indexes serve) on
  PostgreSQL; SQLite has no containment operator, so `json_each` subqueries there.
- Log records, the hottest insert: SQLite is handed rows of text exactly as SQLAlchemy's
  `Uuid` and `UtcDateTime` store them, through the driver (SQLAlchemy's per-value
  processing cost more than the insert); PostgreSQL reads the whole batch from one JSON
  parameter (psycopg's executemany cost the ingest worker more than all the rest).
- Several writes in one statement (a data-modifying WITH) exist on PostgreSQL only, where a
  round trip costs the worker more CPU than the work it carries; on SQLite a round trip is
  a function call (`writes_in_one_statement`).
- Integer part of a number: PostgreSQL's CAST rounds, SQLite's truncates (`whole_part`).
- Event queries: the items of a JSON list as rows (`json_list_items`: `json_each` or
  `jsonb_array_elements`), a timestamp as seconds since 1970 (`epoch_seconds`) and the floor
  of a number, negative ones too (`floor_of`).
- Run counts per interval: a timestamp as whole milliseconds since 1970 (`epoch_milliseconds`),
  exact, so that a run at an interval's first instant is counted in it; SQLite's `julianday`
  costs a third of its `strftime`.
- Time elapsed: PostgreSQL subtracts timestamps into an interval, SQLite has only
  `julianday` (`seconds_between`, `seconds_since`).
- Stored values as the text clients read (`uuid_text`, `utc_text`): SQLite stores UUIDs as
  32 hex digits and times as naive UTC text; PostgreSQL has types of its own for both.

Not here, being declarations rather than code paths: indexes only PostgreSQL builds (GIN,
trigram), declared on their tables with `ddl_if(dialect="postgresql")`, and the column types
that read alike on both (`models.db.types`). The engine's set-up (SQLite's pragmas and
BEGIN IMMEDIATE, the writer's thread count) is `models.db.database`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast, overload

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    SQLColumnExpression,
    String,
    Table,
    distinct,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import column as column_clause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from models.db.types import JsonColumn

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.compiler import SQLCompiler
    from sqlalchemy.sql.dml import ReturningInsert
    from sqlalchemy.sql.selectable import TableValuedAlias

    from models.db.base import Base

T = TypeVar("T")

#: The databases Signalbox runs on, by SQLAlchemy's dialect name.
DIALECTS: Final = ("sqlite", "postgresql")

#: Each dialect's INSERT, the one that has ON CONFLICT.
INSERTS: Final[Mapping[str, Callable[[Table], PgInsert | SqliteInsert]]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def per_dialect(build: Callable[[str], T]) -> dict[str, T]:
    """`build(dialect)` for every dialect, by name: a hot path's statements, built once."""
    return {dialect: build(dialect) for dialect in DIALECTS}


def insert_for(dialect: str, model: type[Base] | Table) -> PgInsert | SqliteInsert:
    """`INSERT` into `model`'s table with `dialect`'s ON CONFLICT clauses available."""
    return INSERTS[dialect](table_of(model))


def dialect_insert(
    session: AsyncSession | Session, model: type[Base] | Table
) -> PgInsert | SqliteInsert:
    """`INSERT` with the ON CONFLICT clauses of the session's database available."""
    return insert_for(session.get_bind().dialect.name, model)


def ignore_duplicates(
    dialect: str, model: type[Base] | Table, key: Sequence[str] = ("id",)
) -> PgInsert | SqliteInsert:
    """INSERT that skips rows whose key exists; no RETURNING, so a batch is one executemany."""
    return insert_for(dialect, model).on_conflict_do_nothing(index_elements=list(key))


def upsert(
    dialect: str,
    model: type[Base] | Table,
    *,
    key: Sequence[str],
    columns: Sequence[str],
    where: Callable[[PgInsert | SqliteInsert], ColumnElement[bool]] | None = None,
) -> PgInsert | SqliteInsert:
    """INSERT that sets `columns` from the new row when its key exists (if `where(insert)`
    holds for the existing row; `insert.excluded` is the new one)."""
    insert = insert_for(dialect, model)
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={column: insert.excluded[column] for column in columns},
        where=where(insert) if where is not None else None,
    )


def ignoring_duplicates(
    session: AsyncSession | Session, model: type[Base] | Table, key: Sequence[str]
) -> ReturningInsert[Any]:
    """INSERT that skips rows whose key exists, returning the keys of the rows it inserted."""
    table = table_of(model)
    dialect = session.get_bind().dialect.name
    return ignore_duplicates(dialect, table, key).returning(*(table.c[column] for column in key))


async def insert_ignoring_duplicates(
    session: AsyncSession,
    model: type[Base] | Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str] = ("id",),
) -> int:
    """INSERT the rows, skipping any whose key is already there; returns how many were new."""
    if not rows:
        return 0
    result = await session.execute(ignoring_duplicates(session, model, key), list(rows))
    return len(result.all())


def table_of(model: type[Base] | Table) -> Table:
    return model if isinstance(model, Table) else cast(Table, model.__table__)


def writes_in_one_statement(dialect: str) -> bool:
    """Whether several writes can share one statement (a data-modifying WITH): PostgreSQL."""
    return dialect == "postgresql"


# Tags: JSON lists of strings.


def tags_include_all(
    column: SQLColumnExpression[Any], tags: list[str], dialect: str
) -> ColumnElement[bool]:
    """The JSON list holds every one of `tags` (a non-empty list)."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains(tags)  # @>, served by the GIN index
    # One count rather than one EXISTS per tag: SQLite caps an expression's depth at 1,000.
    element = func.json_each(column).table_valued("value")
    found = (
        select(func.count(distinct(element.c.value)))
        .select_from(element)
        .where(element.c.value.in_(tags))
        .scalar_subquery()
    )
    return found == len(set(tags))


def tags_include_any(
    column: SQLColumnExpression[Any], tags: list[str], dialect: str
) -> ColumnElement[bool]:
    """The JSON list holds at least one of `tags`."""
    if not tags:
        return false()
    if dialect == "postgresql":
        # One @> per tag rather than ?|: the GIN index (jsonb_path_ops) serves only @>.
        listed = type_coerce(column, JSONB)
        return or_(*(listed.contains([tag]) for tag in tags))
    element = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(element).where(element.c.value.in_(tags)))


def tags_are_empty(column: SQLColumnExpression[Any], dialect: str) -> ColumnElement[bool]:
    """The JSON list is empty."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB) == sql_cast(literal("[]"), JSONB)
    return func.json_array_length(column) == 0


# Events: the related resources of an event (a JSON list of objects) as rows.


def json_list_items(column: SQLColumnExpression[Any], dialect: str) -> TableValuedAlias:
    """The items of a JSON list column as rows of one JSON column, `value`, for EXISTS
    subqueries (an event's related resources)."""
    value = column_clause("value", JsonColumn)
    if dialect == "postgresql":
        return func.jsonb_array_elements(column).table_valued(value)
    return func.json_each(column).table_valued(value)


# Arithmetic.


class whole_part(FunctionElement[int]):  # lower case, like the SQL functions it stands for
    """The integer part of a non-negative number.

    PostgreSQL's CAST rounds, so it floors first; SQLite's CAST truncates, and SQLite has
    no floor() unless built with its math functions.
    """

    type = Integer()
    inherit_cache = True
    name = "whole_part"


@compiles(whole_part)
def _whole_part(element: whole_part, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(whole_part, "postgresql")
def _whole_part_postgresql(element: whole_part, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


class floor_of(FunctionElement[int]):  # lower case, like the SQL functions it stands for
    """The greatest integer not above a number, negative ones too (SQLite has no floor()
    unless built with its math functions, and its CAST truncates towards zero)."""

    type = Integer()
    inherit_cache = True
    name = "floor_of"


@compiles(floor_of)
def _floor_of_sqlite(element: floor_of, compiler: SQLCompiler, **kw: Any) -> str:
    number = compiler.process(element.clauses, **kw)
    return f"(CAST({number} AS INTEGER) - ({number} < CAST({number} AS INTEGER)))"


@compiles(floor_of, "postgresql")
def _floor_of_postgresql(element: floor_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS BIGINT)"


class epoch_seconds(FunctionElement[float]):  # lower case, like the SQL functions it stands for
    """A stored timestamp as seconds since 1970 UTC, with its microseconds.

    SQLite stores `2026-11-16 00:26:14.356878` (always six digits of fraction): strftime
    gives the whole seconds, the text after them the fraction.
    """

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch_seconds_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    stored = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', {stored}) AS INTEGER) + CAST(substr({stored}, 20) AS REAL))"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(extract(epoch FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


class epoch_milliseconds(FunctionElement[int]):  # lower case, like the SQL functions
    """A stored timestamp as whole milliseconds since 1970 UTC (its microseconds rounded)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_milliseconds"


#: `julianday('1970-01-01')` in milliseconds.
JULIAN_DAY_OF_1970_MS: Final = 210_866_760_000_000


@compiles(epoch_milliseconds)
def _epoch_milliseconds_sqlite(
    element: epoch_milliseconds, compiler: SQLCompiler, **kw: Any
) -> str:
    # SQLite keeps a time as whole milliseconds of julian day: rounding gives them back.
    stored = compiler.process(element.clauses, **kw)
    return f"(CAST(round(julianday({stored}) * 86400000.0) AS INTEGER) - {JULIAN_DAY_OF_1970_MS})"


@compiles(epoch_milliseconds, "postgresql")
def _epoch_milliseconds_postgresql(
    element: epoch_milliseconds, compiler: SQLCompiler, **kw: Any
) -> str:
    # extract() answers an exact numeric: the milliseconds are exact too.
    return f"CAST(extract(epoch FROM {compiler.process(element.clauses, **kw)}) * 1000 AS BIGINT)"


class seconds_between(FunctionElement[float]):  # lower case, like the SQL functions it stands for
    """Seconds from the second timestamp to the first (negative when it is later)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def seconds_since(stored: SQLColumnExpression[Any]) -> ColumnElement[float]:
    """Seconds from a stored timestamp to now, as a float (NULL when the timestamp is)."""
    return seconds_between(func.now(), stored)


# Values as the text of their JSON, for answers written straight from the rows.


class uuid_text(FunctionElement[str]):  # lower case, like the SQL functions it stands for
    """A UUID as the text clients read: 8-4-4-4-12 lower-case hex digits.

    SQLite stores the 32 digits without dashes; PostgreSQL writes them with dashes.
    """

    type = String()
    inherit_cache = True
    name = "uuid_text"


@compiles(uuid_text)
def _uuid_text_sqlite(element: uuid_text, compiler: SQLCompiler, **kw: Any) -> str:
    hex_ = compiler.process(element.clauses, **kw)
    parts = ("1, 8", "9, 4", "13, 4", "17, 4", "21")
    return " || '-' || ".join(f"substr({hex_}, {part})" for part in parts)


@compiles(uuid_text, "postgresql")
def _uuid_text_postgresql(element: uuid_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


class utc_text(FunctionElement[str]):  # lower case, like the SQL functions it stands for
    """A timestamp as pydantic writes an aware UTC datetime: 2026-11-16T00:26:14.356878Z,
    without the fraction when it is zero.

    SQLite stores UTC as `2026-11-16 00:26:14.356878` (always six digits of fraction).
    """

    type = String()
    inherit_cache = True
    name = "utc_text"


@compiles(utc_text)
def _utc_text_sqlite(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    stored = compiler.process(element.clauses, **kw)
    return f"replace(replace({stored}, '.000000', ''), ' ', 'T') || 'Z'"


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    stored = compiler.process(element.clauses, **kw)
    written = f"""to_char({stored} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    return f"replace({written}, '.000000Z', 'Z')"


# Log records.

#: INSERT-or-ignore of log rows ready for SQLite: a redelivered batch adds nothing.
SQLITE_INSERT_LOGS: Final = (
    "INSERT INTO log (id, created, name, level, message, timestamp, flow_run_id, task_run_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
#: The same on PostgreSQL, which reads the whole batch from one JSON parameter itself.
POSTGRESQL_INSERT_LOGS: Final = """
INSERT INTO log (id, created, name, level, message, timestamp, flow_run_id, task_run_id)
SELECT id, %s, name, level, message, "timestamp", flow_run_id, task_run_id
FROM json_to_recordset(%s::json) AS record(
    id uuid, name text, level integer, message text, "timestamp" timestamptz,
    flow_run_id uuid, task_run_id uuid
)
ON CONFLICT (id) DO NOTHING
"""


@dataclass(frozen=True)
class DriverInsert:
    """An insert of many rows in the form its database's driver takes."""

    sql: str
    parameters: list[tuple[Any, ...]] | tuple[Any, ...]


def prepare_log_insert(records: Sequence[Mapping[str, Any]], dialect: str) -> DriverInsert:
    """The insert storing checked log records under their ids, skipping ids already stored.

    `records` are as `models.schemas.logs_fast_path.check_queued_log_records` leaves them:
    UUIDs as text, timestamps as UTC text (YYYY-MM-DDTHH:MM:SS.ffffff+00:00).
    """
    if dialect == "sqlite":
        created = sqlite_datetime(datetime.now(UTC))
        rows = [
            (
                sqlite_uuid(record["id"]),
                created,
                record["name"],
                record["level"],
                record["message"],
                f"{record['timestamp'][:10]} {record['timestamp'][11:26]}",
                sqlite_uuid(record.get("flow_run_id")),
                sqlite_uuid(record.get("task_run_id")),
            )
            for record in records
        ]
        return DriverInsert(SQLITE_INSERT_LOGS, rows)
    return DriverInsert(POSTGRESQL_INSERT_LOGS, (datetime.now(UTC), orjson.dumps(records).decode()))


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
    """A UUID's text (with or without dashes) as SQLAlchemy's `Uuid` stores it on SQLite:
    32 lowercase hex digits."""
    return None if text is None else text.replace("-", "").lower()


# Locks held until the transaction ends.


async def hold_transaction_locks(session: AsyncSession, keys: Iterable[UUID]) -> None:
    """Serialise writers of the same keys until the transaction ends.

    PostgreSQL: one advisory lock per key, taken in a fixed order so that two transactions
    locking overlapping keys cannot deadlock; the keys need no row to exist. SQLite: nothing
    to do, its write transactions begin IMMEDIATE and so already run one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for lock in sorted({int.from_bytes(key.bytes[:8], "big", signed=True) for key in keys}):
        await session.execute(select(func.pg_advisory_xact_lock(lock)))
