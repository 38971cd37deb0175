"""Group commit: writes queued together share one transaction, and one bad write fails alone."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from models.db.database import Database
from models.db.group_commit import GroupCommitWriter
from models.db.types import utcnow
from models.variables import Variable


def add_variable(name: str) -> Any:
    def work(session: Session) -> str:
        now = utcnow()
        session.execute(
            insert(Variable.__table__),
            {"id": uuid4(), "created": now, "updated": now, "name": name, "value": 1, "tags": []},
        )
        return name

    return work


def count_variables(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Variable.__table__)) or 0


@pytest.fixture
async def writer(database: Database) -> Any:
    """A one-thread writer on the test database (PostgreSQL's usual writer has several)."""
    one = GroupCommitWriter(database.writer.engine, threads=1)
    yield one
    await asyncio.to_thread(one.close)


async def held_writer(writer: GroupCommitWriter) -> tuple[asyncio.Future[Any], threading.Event]:
    """A first write that keeps the writer thread busy until released, so others queue up."""
    started, release = threading.Event(), threading.Event()

    def blocking(session: Session) -> None:
        session.execute(select(1))  # a transaction of its own, with a commit to count
        started.set()
        release.wait(timeout=30)

    first = asyncio.ensure_future(writer.submit(blocking))
    assert await asyncio.to_thread(started.wait, 30)
    return first, release


async def queued(writer: GroupCommitWriter, count: int) -> None:
    """Wait (with a deadline) until `count` writes wait in the writer's queue."""
    deadline = asyncio.get_running_loop().time() + 10
    while writer.units.qsize() < count:
        assert asyncio.get_running_loop().time() < deadline, "writes never reached the queue"
        await asyncio.sleep(0.001)


async def test_queued_writes_share_one_transaction(writer: GroupCommitWriter) -> None:
    commits: list[int] = []
    event.listen(writer.engine, "commit", lambda _connection: commits.append(1))
    first, release = await held_writer(writer)
    names = [f"v{index}" for index in range(20)]
    writes = [asyncio.ensure_future(writer.submit(add_variable(name))) for name in names]
    await queued(writer, len(writes))
    release.set()
    assert await asyncio.gather(*writes) == names
    await first
    assert len(commits) == 2  # the held write alone, then all twenty together
    assert await writer.submit(count_variables) == 20


async def test_a_failing_write_fails_alone(writer: GroupCommitWriter) -> None:
    first, release = await held_writer(writer)

    def broken(session: Session) -> None:
        session.execute(insert(Variable.__table__), {"id": uuid4(), "name": "no timestamps"})
        raise ValueError("this request is wrong")

    before = [asyncio.ensure_future(writer.submit(add_variable(f"a{i}"))) for i in range(5)]
    bad = asyncio.ensure_future(writer.submit(broken))
    duplicate = asyncio.ensure_future(writer.submit(add_variable("a0")))  # unique name clash
    after = [asyncio.ensure_future(writer.submit(add_variable(f"b{i}"))) for i in range(5)]
    await queued(writer, 12)
    release.set()
    await first

    assert len(await asyncio.gather(*before, *after)) == 10
    with pytest.raises(ValueError, match="this request is wrong"):
        await bad
    with pytest.raises(Exception, match=r"(?i)unique"):
        await duplicate
    # The others are committed; nothing of the failed ones is.
    assert await writer.submit(count_variables) == 10


async def test_a_write_sees_the_writes_queued_before_it(writer: GroupCommitWriter) -> None:
    first, release = await held_writer(writer)
    added = asyncio.ensure_future(writer.submit(add_variable("seen")))
    counted = asyncio.ensure_future(writer.submit(count_variables))
    await queued(writer, 2)
    release.set()
    await first
    await added
    assert await counted == 1


async def test_every_write_through_the_database_completes(database: Database) -> None:
    """The server's own writer (several threads on PostgreSQL): all commit, none twice."""
    names = [f"n{index}" for index in range(200)]
    done = await asyncio.gather(*(database.write(add_variable(name)) for name in names))
    assert sorted(done) == sorted(names)
    assert await database.write(count_variables) == 200
