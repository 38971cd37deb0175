"""Alembic's environment: one revision tree for SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from migrations.autogenerate import objects_for, render_plain_types
from models.db.metadata import metadata
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
        transaction_per_migration=True,
        compare_type=True,
        render_item=render_plain_types,
        include_object=objects_for(connection.dialect.name),
        on_version_apply=report_step,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline(url: str) -> None:
    """`--dry-run`: print the SQL instead of running it."""
    context.configure(
        url=make_url(url).set(drivername=make_url(url).get_backend_name()),  # no driver needed
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
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
