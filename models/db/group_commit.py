"""Group commit: writer threads run the hot writes that queue up in shared transactions.

Under load many requests want a short write transaction at the same moment. Committing
each on its own pays, every time, for BEGIN, COMMIT (SQLite writes its WAL frames,
PostgreSQL waits for its WAL flush) and a thread hop. A writer thread instead takes
everything queued since its last commit and runs it in one transaction, in arrival order,
so each unit of work sees the ones before it exactly as if they had run one by one. Alone
on an idle server a unit still runs at once, in a transaction of its own.

If any unit of a shared transaction fails (or the commit does), the transaction is rolled
back and each unit runs again in a transaction of its own, so one bad request never fails
the others and every caller gets its own result or error. Units must therefore be plain
database work that may run twice: read, decide, write; nothing sent elsewhere.

Written here rather than taken from a library: neither SQLAlchemy nor the drivers batch
transactions across callers; the whole mechanism is a queue, threads and a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.errors import DatabaseUnavailable

T = TypeVar("T")

#: The most units one transaction carries; more would hold the write lock for too long.
MAX_UNITS_PER_TRANSACTION: Final = 128


@dataclass
class Unit(Generic[T]):
    """One caller's work and the future its event loop awaits."""

    work: Callable[[Session], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop
    #: When its caller stops waiting (time.monotonic()); None: never.
    deadline: float | None = None


class GroupCommitWriter:
    """Runs units of work on writer threads, many units to a transaction.

    SQLite takes one writer thread (it has one writer at a time anyway). PostgreSQL takes
    several, whose transactions run side by side while each waits on the network; should two
    of them lock the same runs in opposite orders, PostgreSQL aborts one as a deadlock and
    its units run again one by one, like any failed shared transaction.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        threads: int = 1,
        name: str = "db-writer",
        wait_limit_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        #: On SQLite, the busy timeout: no caller waits longer, queued or on the write lock.
        #: A unit not started by then never runs and its caller gets DatabaseUnavailable (a
        #: 503): behind a lock held by another process, a queue of units each waiting the
        #: whole busy timeout in turn would keep the last caller waiting many times over.
        self.wait_limit_seconds = wait_limit_seconds
        self.units: queue.SimpleQueue[Unit[Any] | None] = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self.run, name=f"{name}-{number}", daemon=True)
            for number in range(threads)
        ]
        self.started = False
        self.start_lock = threading.Lock()

    async def submit(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in a write transaction and return its result once committed."""
        self.ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        deadline = None
        if self.wait_limit_seconds is not None:
            deadline = time.monotonic() + self.wait_limit_seconds
        self.units.put(Unit(work, future, loop, deadline))
        return await future

    def run_now(self, work: Callable[[Session], T], deadline: float | None = None) -> T:
        """Run `work` in a transaction of its own on the calling thread (tools and tests)."""
        engine = self.engine_until(deadline)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    def engine_until(self, deadline: float | None) -> Engine:
        """The engine, its SQLite busy timeout cut to what is left until `deadline`."""
        if deadline is None:
            return self.engine
        left_ms = max(int((deadline - time.monotonic()) * 1000), 1)
        return self.engine.execution_options(sqlite_busy_ms=left_ms)

    def ensure_started(self) -> None:
        if self.started:  # the common case, without taking the lock
            return
        with self.start_lock:
            if not self.started:
                for thread in self.threads:
                    thread.start()
                self.started = True

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self.start_lock:
            if self.started:
                for _ in self.threads:
                    self.units.put(None)  # each thread stops at the first it takes
                for thread in self.threads:
                    thread.join()
                self.started = False

    def run(self) -> None:
        while True:
            first = self.units.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_UNITS_PER_TRANSACTION:
                try:
                    unit = self.units.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    stop = True
                    break
                batch.append(unit)
            self.run_batch(batch)
            if stop:
                return

    def run_batch(self, batch: list[Unit[Any]]) -> None:
        batch = without_expired(batch)
        if not batch:
            return
        if len(batch) > 1:
            try:
                results = self.run_together(batch)
            except Exception:
                pass
            else:
                settle(batch, results, [None] * len(batch))
                return
        results = []
        errors: list[BaseException | None] = []
        for unit in batch:
            if unit.deadline is not None and time.monotonic() >= unit.deadline:
                results.append(None)
                errors.append(DatabaseUnavailable())
                continue
            try:
                results.append(self.run_now(unit.work, unit.deadline))
                errors.append(None)
            except BaseException as error:  # handed to the awaiting caller, whatever it is
                results.append(None)
                errors.append(error)
        settle(batch, results, errors)

    def run_together(self, batch: list[Unit[Any]]) -> list[Any]:
        deadlines = [unit.deadline for unit in batch if unit.deadline is not None]
        engine = self.engine_until(min(deadlines) if deadlines else None)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return [unit.work(session) for unit in batch]


def without_expired(batch: list[Unit[Any]]) -> list[Unit[Any]]:
    """The units whose callers still wait; the others are answered DatabaseUnavailable."""
    now = time.monotonic()
    expired = [unit for unit in batch if unit.deadline is not None and now >= unit.deadline]
    if expired:
        settle(expired, [None] * len(expired), [DatabaseUnavailable()] * len(expired))
    return [unit for unit in batch if unit not in expired]


def settle(batch: list[Unit[Any]], results: list[Any], errors: list[BaseException | None]) -> None:
    """Resolve each unit's future on its own event loop (futures are not thread-safe).

    One wake-up per event loop for the whole batch: each `call_soon_threadsafe` writes to
    the loop's self-pipe, which under load cost as much as a statement.
    """
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Unit[Any], Any, Any]]] = {}
    for outcome in zip(batch, results, errors, strict=True):
        by_loop.setdefault(outcome[0].loop, []).append(outcome)

    def resolve(outcomes: list[tuple[Unit[Any], Any, BaseException | None]]) -> None:
        for unit, result, error in outcomes:
            if unit.future.done():  # the caller gave up waiting (cancelled)
                continue
            if error is not None:
                unit.future.set_exception(error)
            else:
                unit.future.set_result(result)

    for loop, outcomes in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
            loop.call_soon_threadsafe(resolve, outcomes)
