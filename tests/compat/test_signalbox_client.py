"""The unmodified Prefect 3.9.1 client runs every flow scenario against a live Signalbox.

The API listens on a port of 127.0.0.1 with Dramatiq workers consuming what it queues; the
client runs in its own virtualenv, in another process. Each scenario's check then reads,
through Signalbox's API, what the reference server shows after the same flow.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.compat.expectations import CHECKS
from tests.compat.prefect_client import prefect_python, run_flow_script

FLOWS = Path(__file__).parent / "flows"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    """The Prefect virtualenv, built once (the first build downloads the client)."""
    return prefect_python()


@pytest.mark.parametrize("scenario", sorted(CHECKS))
async def test_the_prefect_client_runs_the_scenario_against_signalbox(
    scenario: str, live_api_url: str
) -> None:
    # The client and the checks block; the API runs on this event loop, so they get threads.
    completed = await asyncio.to_thread(run_flow_script, FLOWS / f"{scenario}.py", live_api_url)
    await asyncio.to_thread(CHECKS[scenario], live_api_url, completed.result)
