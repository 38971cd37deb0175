"""Opening the database: one async engine, with SQLite tuned for several writing processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, event, inspect, pool, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from models.db.group_commit import GroupCommitWriter
from models.db.wal_checkpoints import WRITER_AUTOCHECKPOINT_PAGES, WalCheckpointer
from models.errors import DatabaseUnavailable
from models.private_files import create_private_sqlite_file
from models.settings import Settings

T = TypeVar("T")

#: The transaction mode of read-only sessions on SQLite; writers use BEGIN IMMEDIATE.
READ_BEGIN = "BEGIN DEFERRED"
WRITE_BEGIN = "BEGIN IMMEDIATE"
#: Transactions of hot writes in flight at once on PostgreSQL (each waits on round trips).
POSTGRESQL_WRITER_THREADS = 4
#: SQLite's page cache per connection, in KiB (a negative cache_size is KiB). The default,
#: 2,000 KiB, is less than the pages one 200-run page of the flow-run listing touches
#: with a million runs stored (between 2 and 4 MiB), so every listing read them all again
#: (4.5 ms instead of 2.9 ms). The cache grows only as pages are read, but it is per
#: connection and the API keeps up to 15: twice the listing's need, not more.
SQLITE_CACHE_KIB = 8_192


class WriteSessions:
    """Sessions that may write; on SQLite, one write transaction at a time in this process.

    SQLite has one writer at a time. Connections of one process that race for it wait in
    SQLite's busy handler, which sleeps in steps of up to 100 ms; queueing them on an
    asyncio lock instead hands the write lock over at once. Other processes still wait on
    the busy timeout, as they must.
    """

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        *,
        one_at_a_time: bool,
        wait_limit_seconds: float | None = None,
    ) -> None:
        self.maker = maker
        self.lock = asyncio.Lock() if one_at_a_time else None
        #: The busy timeout: no caller waits longer, for the lock and SQLite's together.
        self.wait_limit_seconds = wait_limit_seconds

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits when the block ends (rolls back on error)."""
        if self.lock is None:
            async with self.maker.begin() as session:
                yield session
            return
        deadline = None
        if self.wait_limit_seconds is not None:
            deadline = time.monotonic() + self.wait_limit_seconds
        try:
            async with asyncio.timeout_at(None if deadline is None else to_loop_time(deadline)):
                await self.lock.acquire()
        except TimeoutError:
            raise DatabaseUnavailable() from None
        try:
            async with self.session_until(deadline) as session, session.begin():
                yield session
        finally:
            self.lock.release()

    def session_until(self, deadline: float | None) -> AsyncSession:
        """A session whose SQLite busy timeout is what is left until `deadline`."""
        if deadline is None:
            return self.maker()
        left_ms = max(int((deadline - time.monotonic()) * 1000), 1)
        bind = self.maker.kw["bind"]
        return self.maker(bind=bind.execution_options(sqlite_busy_ms=left_ms))


def to_loop_time(deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (deadline - time.monotonic())


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
    #: The hot writes' writer thread, on a synchronous engine of the same database.
    writer: GroupCommitWriter
    #: On SQLite, what copies the writer's commits from the WAL into the database file.
    checkpointer: WalCheckpointer | None = None

    @property
    def dialect(self) -> str:
        """The database's kind: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in a write transaction and return what it returns.

        For the hottest writes (flow-run states, logs, events, task-run states). `work` runs
        on the writer thread, on a plain synchronous connection (one thread hop per
        transaction instead of one per statement, which is what an async driver costs),
        usually in a transaction shared with the other writes queued at that moment (see
        `models.db.group_commit`), so it must be database work that may run twice. On SQLite
        that thread is also the process's single writer.
        """
        return await self.writer.submit(work)

    async def dispose(self) -> None:
        await self.engine.dispose()
        await asyncio.to_thread(self.writer.close)
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.close)
        self.writer.engine.dispose()


async def ping_database(session: AsyncSession) -> None:
    """Run the cheapest query there is; raises when the database does not answer."""
    await session.execute(text("SELECT 1"))


#: Where Alembic records the schema's revision (its default name).
SCHEMA_VERSION_TABLE = "alembic_version"


async def read_schema_revision(session: AsyncSession) -> str | None:
    """The revision the schema was migrated to; None when it was never migrated."""

    def version_table_exists(connection: Any) -> bool:
        return bool(inspect(connection).has_table(SCHEMA_VERSION_TABLE))

    connection = await session.connection()
    if not await connection.run_sync(version_table_exists):
        return None
    row = await session.execute(text(f"SELECT version_num FROM {SCHEMA_VERSION_TABLE}"))
    return row.scalar_one_or_none()


def open_database(settings: Settings, **engine_options: Any) -> Database:
    """The engine and session factories for `settings.database_url`; connects lazily."""
    engine = create_engine(
        settings.database_url, settings.sqlite_busy_timeout_seconds, **engine_options
    )
    reader = engine.execution_options(sqlite_begin=READ_BEGIN)
    on_sqlite = engine.dialect.name == "sqlite"
    writer_engine = create_writer_engine(
        settings.database_url, settings.sqlite_busy_timeout_seconds
    )
    checkpointer = None
    if on_sqlite and writer_engine.url.database not in (None, "", ":memory:"):
        checkpointer = WalCheckpointer(
            writer_engine.url.database, settings.sqlite_busy_timeout_seconds
        )
        # On check-in, not on the commit event: SQLAlchemy fires that before committing.
        event.listen(writer_engine, "checkin", lambda *_: checkpointer.note_write())
    return Database(
        engine=engine,
        sessions=WriteSessions(
            async_sessionmaker(engine, expire_on_commit=False),
            one_at_a_time=on_sqlite,
            wait_limit_seconds=settings.sqlite_busy_timeout_seconds if on_sqlite else None,
        ),
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
        writer=GroupCommitWriter(
            writer_engine,
            threads=1 if on_sqlite else POSTGRESQL_WRITER_THREADS,
            wait_limit_seconds=settings.sqlite_busy_timeout_seconds if on_sqlite else None,
        ),
        checkpointer=checkpointer,
    )


async def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work(database)` on the database opened for it alone, closed after (a CLI command's
    one piece of work; the API and the workers keep theirs open)."""
    database = open_database(settings)
    try:
        return await work(database)
    finally:
        await database.dispose()


async def with_read_session(settings: Settings, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `read(session)` in a read session of the database opened for it alone."""

    async def in_read_session(database: Database) -> T:
        async with database.read_sessions() as session:
            return await read(session)

    return await with_database(settings, in_read_session)


def create_writer_engine(database_url: str, busy_timeout_seconds: float) -> Engine:
    """A synchronous engine for the writer thread, on the same database as the async one."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        writer = create_sync_engine(
            url.set(drivername="sqlite+pysqlite"), poolclass=pool.SingletonThreadPool
        )
        tune_sqlite(writer, busy_timeout_seconds)

        @event.listens_for(writer, "connect")
        def checkpoint_rarely(dbapi_connection: Any, _record: Any) -> None:
            # Checkpoints run beside this connection (see models.db.wal_checkpoints); its own
            # are the backstop that lets the WAL start again from its beginning.
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={WRITER_AUTOCHECKPOINT_PAGES}")

        return writer
    # psycopg (3) is one driver for both: the async URL serves the synchronous engine.
    # No pre-ping (a round trip per transaction): a dropped connection fails its shared
    # transaction, the pool discards it, and the units run again on a fresh one.
    return create_sync_engine(url, pool_size=POSTGRESQL_WRITER_THREADS, max_overflow=2)


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
    """SQLite creates the file but not its folder (the home folder may not exist yet), and
    creates it readable by everyone: make both first, private."""
    create_private_sqlite_file(url.render_as_string(hide_password=False))


def tune_sqlite(engine: AsyncEngine | Engine, busy_timeout_seconds: float) -> None:
    """WAL, synchronous=NORMAL, a busy timeout, foreign keys on, a larger page cache, and
    our own BEGIN."""
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
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    default_busy_ms = int(busy_timeout_seconds * 1000)

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A caller's deadline may cut the busy timeout of this one transaction (see
        # models.db.group_commit); the connection keeps what it was last set to.
        busy_ms = connection.get_execution_options().get("sqlite_busy_ms", default_busy_ms)
        info = connection.connection.info
        if info.get("busy_ms", default_busy_ms) != busy_ms:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms)}")
            info["busy_ms"] = busy_ms
        connection.exec_driver_sql(
            connection.get_execution_options().get("sqlite_begin", WRITE_BEGIN)
        )
