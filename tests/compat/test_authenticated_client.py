"""The unmodified Prefect 3.9.1 client against a Signalbox that requires authentication.

With PREFECT_API_AUTH_STRING (basic auth, and the auth string as the websockets' token) and
with PREFECT_API_KEY (bearer; the events websocket of a Prefect client sends the key only as
a header, given through PREFECT_CLIENT_CUSTOM_HEADERS), a flow with tasks and logs runs, and
the SDK and CLI read its task runs (which travel over the events websocket) and logs back.
Without credentials the client is refused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import dramatiq
import pytest
from pydantic import SecretStr

from models.api_keys import Scope, create_api_key
from models.db.database import Database
from models.db.types import utcnow
from models.settings import Settings
from tests.compat.prefect_client import prefect_python, run_flow_script
from tests.compat.test_reading_runs_back import check
from tests.running import serve_api

SCRIPT = Path(__file__).parent / "scripts" / "logs_and_task_runs.py"
TASKS_BASIC = Path(__file__).parent / "flows" / "tasks_basic.py"
AUTH_STRING = "prefect:correct-horse-battery"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    return prefect_python()


@pytest.fixture
async def protected_api_url(
    settings: Settings, database: Database, workers: dramatiq.Worker
) -> AsyncIterator[str]:
    """The API on a port of 127.0.0.1, requiring AUTH_STRING (or an API key)."""
    protected = settings.model_copy(update={"api_auth_string": SecretStr(AUTH_STRING)})
    async with serve_api(protected) as url:
        yield url


async def test_the_client_runs_a_flow_with_the_auth_string(protected_api_url: str) -> None:
    completed = await asyncio.to_thread(
        run_flow_script, SCRIPT, protected_api_url, env={"PREFECT_API_AUTH_STRING": AUTH_STRING}
    )
    check(completed.result)


async def test_the_client_runs_a_flow_with_an_api_key(
    protected_api_url: str, database: Database
) -> None:
    async with database.sessions.begin() as session:
        _, key = await create_api_key(session, "prefect", Scope.WRITE, utcnow())
    env = {
        "PREFECT_API_KEY": key,
        "PREFECT_CLIENT_CUSTOM_HEADERS": json.dumps({"Authorization": f"Bearer {key}"}),
    }
    completed = await asyncio.to_thread(run_flow_script, SCRIPT, protected_api_url, env=env)
    check(completed.result)


async def test_the_client_without_credentials_is_refused(protected_api_url: str) -> None:
    completed = await asyncio.to_thread(run_flow_script, TASKS_BASIC, protected_api_url)
    # The first call (creating the flow) is a 401: nothing runs, nothing is recorded.
    assert completed.result["raised"] == "PrefectHTTPStatusError"
    assert completed.result["flow_run_id"] is None
