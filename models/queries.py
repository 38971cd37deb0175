"""Statements both dialects need written differently: insert-or-ignore and upsert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.base import Base


def dialect_insert(session: AsyncSession, model: type[Base] | Table) -> PgInsert | SqliteInsert:
    """`INSERT` with the dialect's ON CONFLICT clauses available."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


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
    table = model if isinstance(model, Table) else model.__table__
    statement = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*(table.c[column] for column in key))  # only the rows actually inserted
    )
    result = await session.execute(statement, list(rows))
    return len(result.all())
