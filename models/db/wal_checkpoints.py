"""Checkpoints of SQLite's write-ahead log, run beside the writer thread instead of inside it.

SQLite appends every commit to the WAL and copies the pages back into the database file in a
checkpoint, which by default the COMMIT that takes the WAL past 1,000 pages runs itself,
syncing both files on the way. On a writer thread that every hot write of the process waits
for (see `models.db.group_commit`), that copying took about a quarter of the thread's time under
a stream of log batches. A `WalCheckpointer` does it on a thread of its own, a moment after
commits, while the writer goes on writing: SQLite lets one checkpoint run beside one writer.

The writer's own automatic checkpoint stays on at `WRITER_AUTOCHECKPOINT_PAGES`, as a backstop
that is cheap by the time it fires (the pages are already copied): the WAL starts again from
its beginning only when a transaction begins with every page copied, which a checkpoint
running beside a busy writer never quite reaches. So the WAL stays below that size.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Final

logger = logging.getLogger(__name__)

#: WAL pages (4 KiB each) after which the writer's commit checkpoints by itself.
WRITER_AUTOCHECKPOINT_PAGES: Final = 10_000
#: Seconds between checkpoints while commits keep coming: they gather a few commits each.
CHECKPOINT_INTERVAL_SECONDS: Final = 0.1


class WalCheckpointer:
    """A thread that checkpoints one SQLite database's WAL after its writer's transactions.

    `note_write` is all the writer does, each time it hands its connection back after a
    transaction; the thread starts with the first and stops with `close`. Checkpoints are
    PASSIVE: they copy what no reader still needs and never wait for, or block, a reader or
    a writer of any process.
    """

    def __init__(self, path: str, busy_timeout_seconds: float) -> None:
        self.path = path
        self.busy_timeout_seconds = busy_timeout_seconds
        self.written = threading.Event()
        self.closing = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def note_write(self) -> None:
        """Ask for a checkpoint soon: the writer has just finished a transaction."""
        if self.thread is None:
            with self.lock:
                if self.thread is None and not self.closing.is_set():
                    self.thread = threading.Thread(
                        target=self.run, name="wal-checkpointer", daemon=True
                    )
                    self.thread.start()
        self.written.set()

    def close(self) -> None:
        """Stop the thread after the checkpoint it may be running."""
        with self.lock:
            self.closing.set()
            self.written.set()
            thread = self.thread
        if thread is not None:
            thread.join()

    def run(self) -> None:
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout_seconds, isolation_level=None
        )
        try:
            while True:
                self.written.wait()
                if self.closing.is_set():
                    return
                self.written.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # the writer's own checkpoint still runs
                    logger.warning("WAL checkpoint of %s failed: %s", self.path, error)
                self.closing.wait(CHECKPOINT_INTERVAL_SECONDS)
        finally:
            connection.close()
