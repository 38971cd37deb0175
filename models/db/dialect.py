"""Statements both dialects need written differently: insert-or-ignore and upsert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.dml import ReturningInsert

    from models.db.base import Base


def dialect_insert(
    session: AsyncSession | Session, model: type[Base] | Table
) -> PgInsert | SqliteInsert:
    """`INSERT` with the dialect's ON CONFLICT clauses available."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def ignoring_duplicates(
    session: AsyncSession | Session, model: type[Base] | Table, key: Sequence[str]
) -> ReturningInsert[Any]:
    """INSERT that skips rows whose key exists, returning the keys of the rows it inserted."""
    table: Table = model if isinstance(model, Table) else cast(Table, model.__table__)
    return (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*(table.c[column] for column in key))
    )


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
