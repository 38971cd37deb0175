"""The unmodified Prefect 3.9.1 client pauses, resumes, and passes inputs between flows.

A pausing flow runs in one process while another process resumes it, as a person or a
second program would. Each test runs against a live Signalbox; with
SIGNALBOX_TEST_REFERENCE_PREFECT=1 it also runs against the reference Prefect server, which
checks that the expectations are Prefect's.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from tests.compat.expectations import call_api, poll_until
from tests.compat.prefect_client import (
    RunningServer,
    free_port,
    prefect_python,
    run_flow_script,
    start_reference_prefect_server,
    started_script,
)

SCRIPTS = Path(__file__).parent / "scripts"

#: Seconds a flow script gets to start its flow run (the client's imports are slow).
START_TIMEOUT_SECONDS: Final = 90.0
#: Seconds a started flow script gets to finish once resumed or sent its inputs.
FINISH_TIMEOUT_SECONDS: Final = 90.0

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    """The Prefect virtualenv, built once (the first build downloads the client)."""
    return prefect_python()


@pytest.fixture(scope="module")
def reference_server() -> Iterator[RunningServer]:
    """The reference Prefect server on a free port, for the opt-in reference pass."""
    with start_reference_prefect_server(free_port()) as server:
        yield server


@pytest.fixture(params=["signalbox", "reference"])
def api_url(request: pytest.FixtureRequest) -> str:
    """A live Signalbox (with workers), or the reference server when asked for."""
    if request.param == "reference":
        if os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") != "1":
            pytest.skip("set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to check against the reference")
        return str(request.getfixturevalue("reference_server").api_url)
    return str(request.getfixturevalue("live_api_url"))


async def flow_run_id_of(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The id the script prints as `FLOW_RUN <id>` once its flow runs, and its output so far."""
    assert process.stdout is not None
    output = ""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        left = deadline - time.monotonic()
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), left)
        assert line, f"the script ended before its flow ran:\n{output}"
        output += line
        if line.startswith("FLOW_RUN "):
            return line.split()[1], output


async def result_of(process: subprocess.Popen[str], output: str) -> dict[str, Any]:
    """The script's RESULT once it has ended."""
    rest, _ = await asyncio.to_thread(process.communicate, timeout=FINISH_TIMEOUT_SECONDS)
    output += rest
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no RESULT from the script:\n{output}"
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def state_type(api_url: str, flow_run_id: str) -> str:
    return str(call_api(api_url, "GET", f"/flow_runs/{flow_run_id}")["state"]["type"])


async def wait_until_paused(api_url: str, flow_run_id: str) -> None:
    await asyncio.to_thread(
        poll_until, lambda: state_type(api_url, flow_run_id), "PAUSED", what="the run paused"
    )


def assert_resumed(done: dict[str, Any]) -> None:
    """The resume raised nothing and the run left PAUSED: RUNNING, or already COMPLETED when
    the flow finished between the resume and the script's read of its state."""
    assert done["raised"] is None
    assert done["state_type"] in {"RUNNING", "COMPLETED"}


async def resume(api_url: str, flow_run_id: str, *run_input: str) -> dict[str, Any]:
    """Resume the run with `resume_flow_run` from a process of its own."""
    done = await asyncio.to_thread(
        run_flow_script, SCRIPTS / "resume_run.py", api_url, args=[flow_run_id, *run_input]
    )
    return done.result


async def test_a_paused_flow_resumed_from_another_process_completes(api_url: str) -> None:
    with started_script(SCRIPTS / "pausing_flow.py", api_url, ["plain"]) as flow_process:
        flow_run_id, output = await flow_run_id_of(flow_process)
        await wait_until_paused(api_url, flow_run_id)
        assert_resumed(await resume(api_url, flow_run_id))
        result = await result_of(flow_process, output)
    assert result == {"return_value": {"returned": None}, "raised": None}
    await asyncio.to_thread(
        poll_until, lambda: state_type(api_url, flow_run_id), "COMPLETED", what="completed"
    )
    states = await asyncio.to_thread(
        call_api, api_url, "GET", f"/flow_run_states/?flow_run_id={flow_run_id}"
    )
    types = [state["type"] for state in sorted(states, key=lambda state: state["timestamp"])]
    assert types == ["PENDING", "RUNNING", "PAUSED", "RUNNING", "COMPLETED"]
    run = await asyncio.to_thread(call_api, api_url, "GET", f"/flow_runs/{flow_run_id}")
    assert run["empirical_policy"]["pause_keys"] == ["1"]
    assert run["empirical_policy"]["resuming"] is False
    assert run["run_count"] == 2  # Prefect counts the RUNNING that resumes a blocking pause


async def test_resuming_a_flow_that_is_not_paused_raises_not_paused(api_url: str) -> None:
    with started_script(SCRIPTS / "pausing_flow.py", api_url, ["plain"]) as flow_process:
        flow_run_id, output = await flow_run_id_of(flow_process)
        await wait_until_paused(api_url, flow_run_id)
        await resume(api_url, flow_run_id)
        await result_of(flow_process, output)
    again = await resume(api_url, flow_run_id)
    assert again["raised"] == "NotPausedError: Cannot resume a run that isn't paused!"


async def test_a_flow_waiting_for_input_receives_what_it_is_resumed_with(api_url: str) -> None:
    with started_script(SCRIPTS / "pausing_flow.py", api_url, ["input"]) as flow_process:
        flow_run_id, output = await flow_run_id_of(flow_process)
        await wait_until_paused(api_url, flow_run_id)
        # The schema is saved just after the pause is accepted: wait for it.
        await asyncio.to_thread(
            poll_until,
            lambda: bool(
                call_api(api_url, "GET", f"/flow_runs/{flow_run_id}/input/paused-1-schema")
            ),
            True,
            what="the input's schema",
        )
        refused = await resume(api_url, flow_run_id, json.dumps({"approved": "maybe"}))
        assert refused["state_type"] == "PAUSED"
        assert refused["raised"].startswith("RuntimeError: Cannot resume this run: Reason:")
        accepted = await resume(
            api_url, flow_run_id, json.dumps({"approved": True, "reviewer": "ada"})
        )
        assert_resumed(accepted)
        result = await result_of(flow_process, output)
    assert result == {"return_value": {"approved": True, "reviewer": "ada"}, "raised": None}


async def test_a_flow_receives_the_inputs_another_flow_sends_it(api_url: str) -> None:
    with started_script(SCRIPTS / "receiving_flow.py", api_url) as receiver:
        receiver_id, output = await flow_run_id_of(receiver)
        sent = await asyncio.to_thread(
            run_flow_script, SCRIPTS / "sending_flow.py", api_url, args=[receiver_id]
        )
        assert sent.result["raised"] is None, sent.describe()
        result = await result_of(receiver, output)
    sender = f"prefect.flow-run.{sent.result['flow_run_id']}"
    assert result == {
        "return_value": [
            {"value": "hello", "sender": sender},
            {"value": "world", "sender": sender},
        ],
        "raised": None,
    }


async def test_a_flow_without_a_deployment_cannot_suspend_itself(api_url: str) -> None:
    done = await asyncio.to_thread(run_flow_script, SCRIPTS / "suspending_flow.py", api_url)
    assert done.result["raised"] is None, done.describe()
    assert done.result["refusal"] == (
        "Flow run cannot be suspended: Cannot suspend flows without a deployment."
    )
    flow_run_id = done.result["flow_run_id"]
    await asyncio.to_thread(
        poll_until, lambda: state_type(api_url, flow_run_id), "COMPLETED", what="completed"
    )
