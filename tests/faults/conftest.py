"""What the fault tests share: a whole `signalbox server start` on a database of its own, its
processes by name, its access log, and counts read straight from its database.

Each test runs the real command in a subprocess, as on a machine: embedded Redis (with its AOF),
the API, the worker pools, the clock. On the SQLite pass the database is a file in the server's
home folder; on the PostgreSQL pass it is a database created for the test on the server of
SIGNALBOX_TEST_DATABASE_URL (so that the test may take it away) and dropped after.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import psutil
import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from cli.embedded_redis import free_port
from models.db.database import open_database
from models.settings import Settings
from tests.integration.test_server_start import (
    START_SECONDS,
    call,
    descendants,
    environment_without_settings,
    start_server,
    stop_server,
    wait_for,
)

#: An access-log line: method, path, status (see api/access_log.py).
ACCESS_LINE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/api/\S*) (\d{3}) [\d.]+ ms")


@dataclass
class WholeServer:
    """A running `signalbox server start`."""

    process: subprocess.Popen[str]
    base: str  # the API, http://127.0.0.1:<port>/api
    log: Path  # what it and every child wrote (stdout and stderr)
    home: Path
    database_url: str
    #: Where the log stood when the server was first ready: its access lines from there on
    #: are the test's (before it, the readiness probe's 503s while the workers start).
    ready_at: int = 0

    @property
    def redis_url(self) -> str:
        return (self.home / "redis.url").read_text().strip()

    def child(self, name: str) -> psutil.Process:
        """The one child whose command line holds `name` (`--pool state`, `redis-server`)."""
        [found] = self.children_named(name)
        return found

    def children_named(self, name: str) -> list[psutil.Process]:
        """The live children whose command line holds `name`. A child forked a moment ago
        still shows the supervisor's until it has set its own."""
        found = []
        for child in descendants(self.process.pid):
            with contextlib.suppress(psutil.NoSuchProcess):  # gone meanwhile
                if name in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    found.append(child)
        return found

    def restarted(self, name: str, pid: int) -> bool:
        """Whether the supervisor reported restarting the child `name` that had `pid`."""
        return f"{name} (pid {pid}) exited with code -9; restarted" in self.log.read_text()

    def answers(self) -> Counter[int]:
        """How many requests the API answered with each status, from its access log.

        Leaves out the Prefect client's question whether CSRF protection is on (`GET
        /api/csrf-token`), which a 422 answers "no", as Prefect's own server does."""
        return Counter(
            int(line.group(3))
            for line in ACCESS_LINE.finditer(self.log.read_text()[self.ready_at :])
            if line.group(2) != "/api/csrf-token"
        )

    def read(self, query: Any) -> list[Any]:
        """What one query (built by the caller from the models' tables) finds in its database,
        read beside the server as an operator would."""
        return asyncio.run(read_rows(self.database_url, query))


async def read_rows(database_url: str, query: Any) -> list[Any]:
    database = open_database(Settings(database_url=database_url))
    try:
        async with database.read_sessions() as session:
            return list(await session.scalars(query))
    finally:
        await database.dispose()


@pytest.fixture
def database_of_its_own(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database only this test uses: a file in the server's home folder on the SQLite
    pass, a fresh database on the suite's PostgreSQL server on the PostgreSQL pass."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite+aiosqlite:///{tmp_path / 'home' / 'signalbox.db'}"
        return
    name = f"sb_fault_{uuid4().hex[:12]}"
    with admin_connection(url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_connection(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_connection(url: URL) -> psycopg.Connection[Any]:
    """A connection to the PostgreSQL server's `postgres` database, outside any transaction
    (CREATE, ALTER and DROP DATABASE run there)."""
    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
        password=url.password, dbname="postgres", autocommit=True,
    )  # fmt: skip


@pytest.fixture
def server_settings() -> dict[str, str]:
    """SIGNALBOX_* settings of the server beyond its home, port and database (a module
    overrides this fixture to change them)."""
    return {}


@pytest.fixture
def whole_server(
    tmp_path: Path, database_of_its_own: str, server_settings: dict[str, str]
) -> Iterator[WholeServer]:
    """`signalbox server start` on an empty home folder and the test's own database, ready."""
    port = free_port()
    home = tmp_path / "home"
    env = environment_without_settings()
    env |= {
        "SIGNALBOX_HOME": str(home),
        "SIGNALBOX_API_PORT": str(port),
        "SIGNALBOX_DATABASE_URL": database_of_its_own,
        **server_settings,
    }
    log = tmp_path / "server.log"
    process = start_server(env, log)
    server = WholeServer(process, f"http://127.0.0.1:{port}/api", log, home, database_of_its_own)
    try:
        wait_for(
            lambda: call(server.base, "GET", "/ready") == {"message": "OK"}, "ready", START_SECONDS
        )
        server.ready_at = len(log.read_text())
        yield server
    finally:
        stop_server(process)
