"""Group commit: writes queued together share one transaction, and one bad write fails alone."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from models.database import Database
from models.types import utcnow
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


async def held_writer(database: Database) -> tuple[asyncio.Future[Any], threading.Event]:
    """A first write that keeps the writer thread busy until released, so others queue up."""
    started, release = threading.Event(), threading.Event()

    def blocking(session: Session) -> None:
        session.execute(select(1))  # a transaction of its own, with a commit to count
        started.set()
        release.wait(timeout=30)

    first = asyncio.ensure_future(database.write(blocking))
    assert await asyncio.to_thread(started.wait, 30)
    return first, release


async def queued(database: Database, count: int) -> None:
    """Wait (with a deadline) until `count` writes wait in the writer's queue."""
    deadline = asyncio.get_running_loop().time() + 10
    while database.writer.units.qsize() < count:
        assert asyncio.get_running_loop().time() < deadline, "writes never reached the queue"
        await asyncio.sleep(0.001)


async def test_queued_writes_share_one_transaction(database: Database) -> None:
    commits: list[int] = []
    event.listen(database.writer.engine, "commit", lambda _connection: commits.append(1))
    first, release = await held_writer(database)
    names = [f"v{index}" for index in range(20)]
    writes = [asyncio.ensure_future(database.write(add_variable(name))) for name in names]
    await queued(database, len(writes))
    release.set()
    assert await asyncio.gather(*writes) == names
    await first
    assert len(commits) == 2  # the held write alone, then all twenty together
    assert await database.write(count_variables) == 20


async def test_a_failing_write_fails_alone(database: Database) -> None:
    first, release = await held_writer(database)

    def broken(session: Session) -> None:
        session.execute(insert(Variable.__table__), {"id": uuid4(), "name": "no timestamps"})
        raise ValueError("this request is wrong")

    before = [asyncio.ensure_future(database.write(add_variable(f"a{i}"))) for i in range(5)]
    bad = asyncio.ensure_future(database.write(broken))
    duplicate = asyncio.ensure_future(database.write(add_variable("a0")))  # unique name clash
    after = [asyncio.ensure_future(database.write(add_variable(f"b{i}"))) for i in range(5)]
    await queued(database, 12)
    release.set()
    await first

    assert len(await asyncio.gather(*before, *after)) == 10
    with pytest.raises(ValueError, match="this request is wrong"):
        await bad
    with pytest.raises(Exception, match=r"(?i)unique"):
        await duplicate
    # The others are committed; nothing of the failed ones is.
    assert await database.write(count_variables) == 10


async def test_a_write_sees_the_writes_queued_before_it(database: Database) -> None:
    first, release = await held_writer(database)
    added = asyncio.ensure_future(database.write(add_variable("seen")))
    counted = asyncio.ensure_future(database.write(count_variables))
    await queued(database, 2)
    release.set()
    await first
    await added
    assert await counted == 1
