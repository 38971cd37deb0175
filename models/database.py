"""Opening the database: one async engine, with SQLite tuned for several writing processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, pool
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from models.settings import Settings

#: The transaction mode of read-only sessions on SQLite; writers use BEGIN IMMEDIATE.
READ_BEGIN = "BEGIN DEFERRED"
WRITE_BEGIN = "BEGIN IMMEDIATE"


@dataclass(frozen=True)
class Database:
    """An engine and the two kinds of session made from it.

    `sessions` is for anything that may write: on SQLite its transactions take the write
    lock at BEGIN (BEGIN IMMEDIATE), so two processes queue behind each other on the busy
    timeout instead of one failing with "database is locked" when a read lock cannot be
    upgraded. `read_sessions` never write, so on SQLite they begin DEFERRED and run beside
    a writer thanks to WAL.
    """

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_database(settings: Settings, **engine_options: Any) -> Database:
    """The engine and session factories for `settings.database_url`; connects lazily."""
    engine = create_engine(
        settings.database_url, settings.sqlite_busy_timeout_seconds, **engine_options
    )
    reader = engine.execution_options(sqlite_begin=READ_BEGIN)
    return Database(
        engine=engine,
        sessions=async_sessionmaker(engine, expire_on_commit=False),
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
    )


def create_engine(
    database_url: str, busy_timeout_seconds: float = 30.0, **engine_options: Any
) -> AsyncEngine:
    """An async engine; on SQLite with WAL, a busy timeout, foreign keys and explicit BEGINs."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_folder(url)
        engine_options.setdefault("poolclass", pool.AsyncAdaptedQueuePool)
        engine = create_async_engine(url, **engine_options)
        tune_sqlite(engine, busy_timeout_seconds)
        return engine
    engine_options.setdefault("pool_pre_ping", True)
    engine_options.setdefault("pool_size", 10)
    engine_options.setdefault("max_overflow", 20)
    return create_async_engine(url, **engine_options)


def ensure_sqlite_folder(url: URL) -> None:
    """SQLite creates the file but not its folder; the home folder may not exist yet."""
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def tune_sqlite(engine: AsyncEngine, busy_timeout_seconds: float) -> None:
    """WAL, synchronous=NORMAL, a busy timeout, foreign keys on, and our own BEGIN."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(
            connection.get_execution_options().get("sqlite_begin", WRITE_BEGIN)
        )
