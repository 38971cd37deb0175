"""The server these tests share (one per package run), the receiver, and each test's client.

As in the deployments package: Signalbox whole (`signalbox server start`, its clock and its
worker pools, the `automations` and `actions` pools among them) on the suite's database,
and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 Prefect's own server too, with its triggers and
actions services on.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.automations.harness import (
    REFERENCE_AUTOMATION_SETTINGS,
    SIGNALBOX_AUTOMATION_SETTINGS,
    AutomationsClient,
    WebhookReceiver,
    delete_automations,
    running_receiver,
)
from tests.compat.deployments.conftest import server_under_test
from tests.compat.deployments.harness import DEPLOYED_FLOWS, delete_deployments
from tests.compat.prefect_client import (
    RunningServer,
)


@pytest.fixture(scope="package", params=["signalbox", "reference"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """The server under test, whole with its services."""
    yield from server_under_test(
        request, tmp_path_factory, REFERENCE_AUTOMATION_SETTINGS, SIGNALBOX_AUTOMATION_SETTINGS
    )


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
