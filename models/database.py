"""Opening the database: one async engine, with SQLite tuned for several writing processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, pool
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from models.settings import Settings

T = TypeVar("T")

#: The transaction mode of read-only sessions on SQLite; writers use BEGIN IMMEDIATE.
READ_BEGIN = "BEGIN DEFERRED"
WRITE_BEGIN = "BEGIN IMMEDIATE"


class WriteSessions:
    """Sessions that may write; on SQLite, one write transaction at a time in this process.

    SQLite has one writer at a time. Connections of one process that race for it wait in
    SQLite's busy handler, which sleeps in steps of up to 100 ms; queueing them on an
    asyncio lock instead hands the write lock over at once. Other processes still wait on
    the busy timeout, as they must.
    """

    def __init__(self, maker: async_sessionmaker[AsyncSession], *, one_at_a_time: bool) -> None:
        self.maker = maker
        self.lock = asyncio.Lock() if one_at_a_time else None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits when the block ends (rolls back on error)."""
        if self.lock is None:
            async with self.maker.begin() as session:
                yield session
            return
        async with self.lock, self.maker.begin() as session:
            yield session


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
    sessions: WriteSessions
    read_sessions: async_sessionmaker[AsyncSession]
    #: SQLite only: a synchronous engine used by one writer thread (see `write`).
    sqlite_writer: Engine | None = None
    writer_thread: ThreadPoolExecutor | None = field(default=None, repr=False)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in one write transaction and return what it returns.

        For the hottest writes (flow-run states, logs, events, task-run states). On SQLite
        the whole transaction runs in one dedicated thread on a plain sqlite3 connection:
        one thread hop instead of one per statement, which is what an async driver costs
        (a statement through aiosqlite is ~0.5 ms; a whole transaction in the thread is
        ~0.1 ms), and that thread is the process's single SQLite writer. On PostgreSQL it
        runs through the async session (`run_sync`), in parallel with other transactions.
        """
        if self.sqlite_writer is None:
            async with self.sessions.begin() as session:
                return await session.run_sync(work)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.writer_thread, self.write_now, work)

    def write_now(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction of the SQLite writer (on the writer thread)."""
        assert self.sqlite_writer is not None
        with Session(self.sqlite_writer, expire_on_commit=False) as session, session.begin():
            return work(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.sqlite_writer is not None and self.writer_thread is not None:
            self.writer_thread.shutdown(wait=True)
            self.sqlite_writer.dispose()


def open_database(settings: Settings, **engine_options: Any) -> Database:
    """The engine and session factories for `settings.database_url`; connects lazily."""
    engine = create_engine(
        settings.database_url, settings.sqlite_busy_timeout_seconds, **engine_options
    )
    reader = engine.execution_options(sqlite_begin=READ_BEGIN)
    on_sqlite = engine.dialect.name == "sqlite"
    sqlite_writer = writer_thread = None
    if on_sqlite:
        url = make_url(settings.database_url).set(drivername="sqlite+pysqlite")
        sqlite_writer = create_sync_engine(url, poolclass=pool.SingletonThreadPool)
        tune_sqlite(sqlite_writer, settings.sqlite_busy_timeout_seconds)
        writer_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
    return Database(
        engine=engine,
        sessions=WriteSessions(
            async_sessionmaker(engine, expire_on_commit=False), one_at_a_time=on_sqlite
        ),
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
        sqlite_writer=sqlite_writer,
        writer_thread=writer_thread,
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


def tune_sqlite(engine: AsyncEngine | Engine, busy_timeout_seconds: float) -> None:
    """WAL, synchronous=NORMAL, a busy timeout, foreign keys on, and our own BEGIN."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(
            connection.get_execution_options().get("sqlite_begin", WRITE_BEGIN)
        )
