"""Alembic's environment: one revision tree for SQLite (batch mode) and PostgreSQL.

A run (every revision of one upgrade or downgrade) is one transaction on both databases, so
a revision that fails leaves the database at the revision the run started from.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from migrations.autogenerate import objects_for, render_plain_types
from models.db.metadata import metadata
from models.private_files import create_private_sqlite_file
from models.settings import Settings


def report_step(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    """Tell the caller (the CLI prints it) each revision as it is applied."""
    on_step = context.config.attributes.get("on_step")
    if on_step is not None:
        direction = "Upgraded to" if step.is_upgrade else "Downgraded from"
        script = step.up_revision
        on_step(f"{direction} {script.revision}: {script.doc.splitlines()[0]}")


def run_revisions(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # rewrite the table, not ALTER
        # SQLite's DDL is transactional too once the driver stops deciding (migration_engine);
        # Alembic assumes it is not unless told.
        transactional_ddl=True,
        transaction_per_migration=False,
        compare_type=True,
        render_item=render_plain_types,
        include_object=objects_for(connection.dialect.name),
        on_version_apply=report_step,
    )
    with context.begin_transaction():
        # `migrations.commands.reset` drops our tables here, in the same transaction.
        before_revisions = context.config.attributes.get("before_revisions")
        if before_revisions is not None:
            before_revisions(connection)
        context.run_migrations()


def run_offline(url: str) -> None:
    """`--dry-run`: print the SQL instead of running it, in one BEGIN ... COMMIT as it runs."""
    context.configure(
        url=make_url(url).set(drivername=make_url(url).get_backend_name()),  # no driver needed
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        transactional_ddl=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def migration_engine(url: str) -> AsyncEngine:
    """An engine whose transactions hold DDL too, on SQLite as on PostgreSQL.

    Python's sqlite3 (under aiosqlite) opens a transaction only before INSERT, UPDATE, DELETE
    or REPLACE, so each CREATE, DROP or ALTER would commit on its own and a failing revision
    would leave the ones before it, and part of itself, behind. With the driver's handling
    off, SQLAlchemy's begin is ours: BEGIN IMMEDIATE, which also waits for a running server's
    writer rather than failing when the first DDL statement needs the write lock.
    """
    create_private_sqlite_file(url)  # before SQLite creates it readable by everyone
    engine = create_async_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def leave_transactions_to_sqlalchemy(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def begin_for_writing(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def run_with_own_engine(url: str) -> None:
    engine = migration_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_revisions)
    finally:
        await engine.dispose()


attributes: dict[str, Any] = context.config.attributes
database_url = attributes.get("database_url") or Settings().database_url
if context.is_offline_mode():
    run_offline(database_url)
elif (shared := attributes.get("connection")) is not None:  # handed in by tests
    run_revisions(shared)
else:
    asyncio.run(run_with_own_engine(database_url))
