"""The unmodified Prefect 3.9.1 client uses concurrency limits, variables and artifacts.

Each script runs in the Prefect virtualenv against a live Signalbox; the checks then read,
through Signalbox's API, what the client left behind. The last test kills a client that holds
slots and watches them come back through lease expiry.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import select

from actors.counters import LEASE_SWEEP_PERIOD_SECONDS
from models.concurrency.tables import ConcurrencyLease
from models.db.database import Database
from tests.compat.expectations import NotYetThere, call_api, poll_until
from tests.compat.prefect_client import prefect_python, run_flow_script, started_script

FLOWS = Path(__file__).parent / "flows"

#: Seconds a lease of the killed client lives without renewal (the client renews at 3/4).
SHORT_LEASE_SECONDS: Final = 2.0
#: Seconds between two reads while waiting for the server.
POLL_SECONDS: Final = 0.25
#: Seconds the killed client gets to acquire its slots and renew its lease once.
HOLD_TIMEOUT_SECONDS: Final = 90.0

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    """The Prefect virtualenv, built once (the first build downloads the client)."""
    return prefect_python()


async def run(script: str, api_url: str) -> dict[str, Any]:
    """Run a flow script in its own process; the API keeps serving on this event loop."""
    completed = await asyncio.to_thread(run_flow_script, FLOWS / script, api_url)
    assert completed.result.get("raised") is None, completed.describe()
    return completed.result


def moment(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def finished_task_runs(api_url: str, flow_run_id: str, count: int) -> list[dict[str, Any]]:
    """The flow run's task runs once `count` of them are COMPLETED (they come as events)."""

    def completed() -> int:
        runs = call_api(
            api_url,
            "POST",
            "/task_runs/filter",
            {"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}},
        )
        return sum(run["state_type"] == "COMPLETED" for run in runs)

    poll_until(completed, count, what=f"completed task runs of {flow_run_id}")
    return call_api(
        api_url,
        "POST",
        "/task_runs/filter",
        {"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}},
    )


async def test_tasks_tagged_with_a_limit_of_one_never_overlap(live_api_url: str) -> None:
    result = await run("tag_concurrency.py", live_api_url)
    assert sorted(result["return_value"]) == [0, 1, 10]
    assert result["inspected"]["concurrency_limit"] == 1

    def check() -> None:
        task_runs = finished_task_runs(live_api_url, result["flow_run_id"], 3)
        assert sorted(run["id"] for run in task_runs) == sorted(result["task_run_ids"])
        held = []  # each task run's [Running, Completed] from its own state history
        for run in task_runs:
            states = call_api(live_api_url, "GET", f"/task_run_states/?task_run_id={run['id']}")
            times = {state["type"]: moment(state["timestamp"]) for state in states}
            held.append((times["RUNNING"], times["COMPLETED"]))
        held.sort()
        for (_, left), (entered, _) in itertools.pairwise(held):
            assert entered >= left, f"task runs overlapped: {held}"
        # Every slot was given back, and the tag's limit lists no holder.
        limit = call_api(live_api_url, "GET", "/v2/concurrency_limits/tag:compat-serial")
        assert limit["active_slots"] == 0
        tag_limit = call_api(live_api_url, "GET", "/concurrency_limits/tag/compat-serial")
        assert tag_limit["active_slots"] == []

    await asyncio.to_thread(check)


async def test_a_second_holder_waits_until_the_first_leaves(live_api_url: str) -> None:
    result = await run("global_concurrency.py", live_api_url)
    first, second = sorted(result["held"], key=lambda hold: hold["entered"])
    assert second["entered"] >= first["left"]
    inspected = result["inspected"]
    assert (inspected["name"], inspected["limit"], inspected["active_slots"]) == (
        "compat-gate",
        1,
        0,
    )
    limit = await asyncio.to_thread(
        call_api, live_api_url, "GET", "/v2/concurrency_limits/compat-gate"
    )
    assert limit["active_slots"] == 0
    assert limit["avg_slot_occupancy_seconds"] < 2.0  # two half-second holds pulled it down


async def test_a_rate_limit_spaces_calls_by_its_decay(live_api_url: str) -> None:
    result = await run("rate_limited.py", live_api_url)
    passed, decay = result["passed"], result["decay"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(passed)]
    # One slot drains every 1/decay seconds: no call gets through sooner (a little slack for
    # the client's and the server's clocks, which are the same machine's).
    assert all(gap >= 1 / decay - 0.05 for gap in gaps), gaps
    # Nor much later: the Retry-After says when the next slot drains, not a guess.
    assert passed[-1] - passed[0] < 3 * (1 / decay) + 4.0, gaps


async def test_variables_are_set_read_overwritten_and_unset(live_api_url: str) -> None:
    result = await run("store_variables.py", live_api_url)
    assert result["outside"] == 42
    assert result["set_again"] == "ValueError"  # the client refuses without overwrite=True
    assert result["in_flow"] == {
        "first": {"a": 1, "b": [1, 2]},
        "second": "overwritten",
        "missing": "dflt",
        "after_unset": "gone",
    }

    def check() -> None:
        outside = call_api(live_api_url, "GET", "/variables/name/outside_flow")
        assert (outside["value"], outside["tags"]) == (42, [])
        with pytest.raises(NotYetThere):
            call_api(live_api_url, "GET", "/variables/name/myvar")

    await asyncio.to_thread(check)


async def test_artifacts_made_in_a_flow_are_readable_by_key(live_api_url: str) -> None:
    result = await run("publish_artifacts.py", live_api_url)
    read_back = result["read_back"]
    assert read_back["md-report"] == {"key": "md-report", "type": "markdown",
                                      "data": "# Hello\n*world*"}  # fmt: skip
    assert read_back["lnk"]["data"] == "[example](https://example.invalid/x)"
    assert read_back["tbl"]["type"] == "table"
    assert read_back["load"] == {"key": "load", "type": "progress", "data": 100.0}
    assert read_back["img"]["type"] == "image"

    def check() -> None:
        table = call_api(live_api_url, "GET", "/artifacts/tbl/latest")
        # The task run named here reached the server (if at all) after the artifact did.
        assert (table["flow_run_id"], table["task_run_id"]) == (
            result["flow_run_id"],
            result["task_run_id"],
        )
        assert '[{"a": 1, "b": 2}' in table["data"]
        latest = call_api(
            live_api_url,
            "POST",
            "/artifacts/latest/filter",
            {"flow_runs": {"id": {"any_": [result["flow_run_id"]]}}, "sort": "KEY_ASC"},
        )
        assert [row["key"] for row in latest] == ["img", "lnk", "load", "md-report", "tbl"]

    await asyncio.to_thread(check)


@contextmanager
def holding_client(api_url: str, name: str) -> Iterator[subprocess.Popen[str]]:
    """The hold_slots script running against `api_url`, in its own process group."""
    with started_script(
        FLOWS / "hold_slots.py", api_url, [name, str(SHORT_LEASE_SECONDS)]
    ) as client:
        yield client


async def wait_for(condition: Any, what: str, timeout: float) -> None:
    """Await `condition()` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"{what} within {timeout}s"
        await asyncio.sleep(POLL_SECONDS)  # polling interval, bounded by the deadline


async def test_the_slots_of_a_killed_client_come_back_when_its_lease_runs_out(
    live_api_url: str, database: Database
) -> None:
    call = asyncio.to_thread
    await call(call_api, live_api_url, "POST", "/v2/concurrency_limits/",
               {"name": "compat-held", "limit": 2})  # fmt: skip
    with holding_client(live_api_url, "compat-held") as client:
        assert client.stdout is not None
        output = ""
        while "HOLDING" not in output:
            line = await asyncio.wait_for(call(client.stdout.readline), HOLD_TIMEOUT_SECONDS)
            assert line, f"the client ended before holding its slots:\n{output}"
            output += line

        async def leases() -> list[datetime]:
            async with database.read_sessions() as session:
                return list(await session.scalars(select(ConcurrencyLease.expires_at)))

        [first_expiry] = await leases()

        async def renewed() -> bool:  # the client keeps its short lease alive
            return [expiry > first_expiry for expiry in await leases()] == [True]

        await wait_for(renewed, "the client renewed its lease", HOLD_TIMEOUT_SECONDS)
        os.killpg(client.pid, signal.SIGKILL)
        killed = time.monotonic()

    async def active_slots() -> int:
        limit = await call(call_api, live_api_url, "GET", "/v2/concurrency_limits/compat-held")
        return int(limit["active_slots"])

    assert await active_slots() == 2  # nobody released them: only expiry can
    # Reading the limit sends the sweep once the lease has expired (the clock sends it too).
    allowed = SHORT_LEASE_SECONDS + LEASE_SWEEP_PERIOD_SECONDS

    async def freed() -> bool:
        return await active_slots() == 0

    await wait_for(freed, "the killed client's slots came back", allowed)
    assert time.monotonic() - killed <= allowed
    assert await leases() == []
