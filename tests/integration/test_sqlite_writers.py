"""SQLite with several writing processes: they queue behind each other, none is refused; a
writer's commits are checkpointed beside it."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, insert, select, text, update

from migrations import commands
from models.db.database import SQLITE_CACHE_KIB, open_database
from models.db.dialect import prepare_log_insert
from models.runs.logs import Log, insert_logs
from models.schemas.logs_fast_path import check_queued_log_records
from models.settings import Settings
from models.variables import Variable

WRITERS = 4
WRITE_SECONDS = 3.0


def write_for(database_url: str, writer: int, seconds: float) -> tuple[int, list[str]]:
    """One process: read-modify-write a shared counter and insert a log line, for `seconds`.

    Returns how many transactions committed and the errors seen (there must be none).
    """

    async def run() -> tuple[int, list[str]]:
        db = open_database(Settings(database_url=database_url))
        committed, errors = 0, []
        deadline = time.time() + seconds  # from when this process is ready, however slow its start
        try:
            while time.time() < deadline:
                try:
                    async with db.sessions.begin() as session:
                        # Read, then write: the pattern that fails with "database is locked"
                        # when a transaction starts as a reader and must upgrade.
                        count = await session.scalar(
                            select(Variable.value).where(Variable.name == "counter")
                        )
                        await session.execute(
                            update(Variable)
                            .where(Variable.name == "counter")
                            .values(value=count + 1)
                        )
                        await session.execute(
                            insert(Log).values(
                                name="writer",
                                level=20,
                                message=f"writer {writer}",
                                timestamp=datetime.now(UTC),
                            )
                        )
                    committed += 1
                except Exception as exc:  # the test reports every failure, whatever it is
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            await db.dispose()
        return committed, errors

    return asyncio.run(run())


def test_concurrent_writer_processes_never_see_database_is_locked(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    commands.upgrade(settings)

    async def seed() -> None:
        db = open_database(settings)
        async with db.sessions.begin() as session:
            await session.execute(insert(Variable).values(name="counter", value=0, tags=[]))
        await db.dispose()

    asyncio.run(seed())

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WRITERS, mp_context=spawn) as pool:
        futures = [
            pool.submit(write_for, settings.database_url, writer, WRITE_SECONDS)
            for writer in range(WRITERS)
        ]
        outcomes = [future.result(timeout=60) for future in futures]

    errors = [error for _, writer_errors in outcomes for error in writer_errors]
    committed = sum(count for count, _ in outcomes)
    assert errors == []
    assert all(count > 0 for count, _ in outcomes), "a writer never got a turn"

    async def totals() -> tuple[int, int]:
        db = open_database(settings)
        async with db.read_sessions() as session:
            counter = await session.scalar(select(Variable.value).where(Variable.name == "counter"))
            logs = await session.scalar(select(func.count()).select_from(Log))
        await db.dispose()
        return counter, logs

    # No lost update: every committed increment is in the counter.
    assert asyncio.run(totals()) == (committed, committed)


async def test_the_writers_commits_reach_the_database_file_without_a_checkpoint_of_its_own(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await asyncio.to_thread(commands.upgrade, settings)  # it runs an event loop of its own
    database_file = tmp_path / "c.db"
    size_before = database_file.stat().st_size
    records = [
        {"id": uuid4().hex, "name": "x", "level": 20, "message": "m" * 2000,
         "timestamp": "2026-11-25T18:00:00.000000+00:00"}
        for _ in range(200)
    ]  # fmt: skip
    insert = prepare_log_insert(check_queued_log_records(records), "sqlite")
    db = open_database(settings)
    try:
        # About a hundred pages: far below the writer's own automatic checkpoint.
        await db.write(lambda session: insert_logs(session, insert))
        deadline = time.monotonic() + 30
        while database_file.stat().st_size < size_before + 200 * 2000:
            assert time.monotonic() < deadline, "the commit never left the WAL"
            await asyncio.sleep(0.05)
    finally:
        await db.dispose()
    assert "wal-checkpointer" not in {thread.name for thread in threading.enumerate()}


async def test_every_connection_reads_with_a_page_cache_larger_than_sqlites_default(
    tmp_path: Path,
) -> None:
    # SQLite's default (2,000 KiB) is smaller than the pages one listing page reads with a
    # million runs stored; readers and the writer thread both get SQLITE_CACHE_KIB.
    db = open_database(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"))
    try:
        async with db.read_sessions() as session:
            read = (await session.execute(text("PRAGMA cache_size"))).scalar()
        written = await db.write(
            lambda session: session.execute(text("PRAGMA cache_size")).scalar()
        )
    finally:
        await db.dispose()
    assert read == written == -SQLITE_CACHE_KIB
    assert SQLITE_CACHE_KIB > 2_000
