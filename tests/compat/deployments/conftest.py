"""The server these tests share (one per package run), and each test's Prefect client.

One server serves every test of the package, so it starts once per server kind: Signalbox
whole (`signalbox server start`, clock and services included) on the suite's database, and
with SIGNALBOX_TEST_REFERENCE_PREFECT=1 Prefect's own server too. It stops when the package's
last test ends, before any other test of the suite uses the database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from bench.servers import signalbox_server
from tests.compat.deployments.harness import (
    DEPLOYED_FLOWS,
    REFERENCE,
    REFERENCE_SERVICE_SETTINGS,
    SIGNALBOX_SERVICE_SETTINGS,
    PrefectClient,
    delete_deployments,
)
from tests.compat.prefect_client import (
    RunningServer,
    free_port,
    prefect_python,
    start_reference_prefect_server,
)


@pytest.fixture(scope="package", params=["signalbox", "reference"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """The server under test, whole with its services."""
    yield from server_under_test(
        request, tmp_path_factory, REFERENCE_SERVICE_SETTINGS, SIGNALBOX_SERVICE_SETTINGS
    )


def server_under_test(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reference_settings: dict[str, str],
    signalbox_settings: dict[str, str],
) -> Iterator[RunningServer]:
    """A package's server, by the fixture's param: Signalbox on the suite's database
    (PostgreSQL emptied first, SQLite fresh in its home); the reference server only when
    SIGNALBOX_TEST_REFERENCE_PREFECT=1."""
    prefect_python()  # build the client's virtualenv before any start-up deadline begins
    if request.param == "reference":
        if not REFERENCE:
            pytest.skip("set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to check against the reference")
        with start_reference_prefect_server(free_port(), reference_settings) as running:
            yield running
        return
    yield from whole_signalbox(request, tmp_path_factory, signalbox_settings)


def whole_signalbox(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    settings: dict[str, str],
) -> Iterator[RunningServer]:
    """`signalbox server start` for a package: on the suite's PostgreSQL database emptied
    first (and after), or on SQLite fresh in its own home."""
    url = os.environ.get("SIGNALBOX_TEST_DATABASE_URL")
    database = None
    if url and make_url(url).get_backend_name() == "postgresql":
        database = str(request.getfixturevalue("migrated_url"))
        asyncio.run(empty_database(database))
    workdir = tmp_path_factory.mktemp("signalbox")
    with signalbox_server(workdir, database, settings=settings) as running:
        yield running
    if database is not None:
        asyncio.run(empty_database(database))  # nothing of ours is left for later tests


async def empty_database(database_url: str) -> None:
    """Delete every row, so that what other tests left is not scheduled or counted."""
    from models.db.database import open_database
    from models.db.metadata import metadata
    from models.settings import Settings

    db = open_database(Settings(database_url=database_url))
    try:
        async with db.sessions.begin() as session:
            for table in reversed(metadata.sorted_tables):
                await session.execute(delete(table))
    finally:
        await db.dispose()


@pytest.fixture
def client(server: RunningServer, tmp_path: Path) -> Iterator[PrefectClient]:
    """A project folder with the deployed flows, and the Prefect client to run in it.

    Afterwards its processes are stopped and every deployment is deleted (their scheduled
    runs with them), so the next test starts with a scheduler that has nothing to do.
    """
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(DEPLOYED_FLOWS, project / DEPLOYED_FLOWS.name)
    home = tmp_path / "prefect-home"
    home.mkdir()
    prefect = PrefectClient(server.api_url, project, home)
    try:
        yield prefect
    finally:
        prefect.stop_all()
        delete_deployments(server.api_url)
