"""The unmodified Prefect 3.9.1 client subscribes to events as `prefect events stream` does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from models.db.database import Database
from models.events.tables import EventRow
from tests.compat.expectations import poll_until
from tests.compat.prefect_client import prefect_python, run_flow_script

SCRIPT = Path(__file__).parent / "flows" / "events_subscriber.py"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    """The Prefect virtualenv, built once (the first build downloads the client)."""
    return prefect_python()


async def test_a_subscriber_with_the_default_filter_gets_past_and_live_events(
    live_api_url: str, database: Database
) -> None:
    before, after = f"compat.{uuid4().hex[:12]}.before", f"compat.{uuid4().hex[:12]}.after"
    await asyncio.to_thread(run_flow_script, SCRIPT, live_api_url, args=["emit", before])

    async def stored() -> int:
        async with database.read_sessions() as session:
            count = select(func.count()).select_from(EventRow).where(EventRow.event == before)
            return int(await session.scalar(count) or 0)

    # Stored before the subscriber connects, so it can only come from the backfill.
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(
        poll_until,
        lambda: asyncio.run_coroutine_threadsafe(stored(), loop).result(),
        1,
        what=f"the event {before} stored",
    )
    completed = await asyncio.to_thread(
        run_flow_script, SCRIPT, live_api_url, args=["subscribe", before, after]
    )
    assert completed.result["raised"] is None, completed.describe()
    assert sorted(completed.result["received"]) == sorted([before, after])
