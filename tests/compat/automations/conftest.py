"""The server these tests share (one per package run), the receiver, and each test's client.

As in the deployments package: Signalbox whole (`signalbox server start`, its clock and its
worker pools, the `automations` and `actions` pools among them) on the suite's database,
and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 Prefect's own server too, with its triggers and
actions services on.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.servers import signalbox_server
from tests.compat.automations.harness import (
    REFERENCE_AUTOMATION_SETTINGS,
    SIGNALBOX_AUTOMATION_SETTINGS,
    AutomationsClient,
    WebhookReceiver,
    delete_automations,
    running_receiver,
)
from tests.compat.deployments.conftest import empty_database
from tests.compat.deployments.harness import DEPLOYED_FLOWS, REFERENCE, delete_deployments
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
    """The server under test, whole with its services.

    Signalbox on the suite's database (PostgreSQL emptied first, SQLite fresh in its home);
    the reference server only when SIGNALBOX_TEST_REFERENCE_PREFECT=1.
    """
    prefect_python()  # build the client's virtualenv before any start-up deadline begins
    if request.param == "reference":
        if not REFERENCE:
            pytest.skip("set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to check against the reference")
        with start_reference_prefect_server(free_port(), REFERENCE_AUTOMATION_SETTINGS) as running:
            yield running
        return
    url = os.environ.get("SIGNALBOX_TEST_DATABASE_URL")
    database = None
    if url and make_url(url).get_backend_name() == "postgresql":
        database = str(request.getfixturevalue("migrated_url"))
        asyncio.run(empty_database(database))
    workdir = tmp_path_factory.mktemp("signalbox")
    with signalbox_server(workdir, database, settings=SIGNALBOX_AUTOMATION_SETTINGS) as running:
        yield running
    if database is not None:
        asyncio.run(empty_database(database))  # nothing of ours is left for later tests


@pytest.fixture(scope="package")
def receiver() -> Iterator[WebhookReceiver]:
    """The services' stand-in on 127.0.0.1; each test posts to paths of its own."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def client(server: RunningServer, tmp_path: Path) -> Iterator[AutomationsClient]:
    """A project folder with the deployed flows, and the Prefect client to run in it.

    Afterwards its processes are stopped and every automation and deployment is deleted, so
    that nothing of this test acts during the next one.
    """
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(DEPLOYED_FLOWS, project / DEPLOYED_FLOWS.name)
    home = tmp_path / "prefect-home"
    home.mkdir()
    prefect = AutomationsClient(server.api_url, project, home)
    try:
        yield prefect
    finally:
        prefect.stop_all()
        delete_automations(server.api_url)
        delete_deployments(server.api_url)
