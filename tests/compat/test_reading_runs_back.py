"""The Prefect 3.9.1 CLI and SDK read a run's task runs and logs back from Signalbox.

`scripts/logs_and_task_runs.py` runs a flow, then `prefect flow-run logs` (also
`--head`), `prefect task-run ls`, `prefect task-run logs`, the SDK's `read_logs` (also with
a text search) and `read_task_runs` filtered by tag: each sends filter bodies holding every
field of the client's models. With SIGNALBOX_TEST_REFERENCE_PREFECT=1 the same script and
checks run against Prefect's own server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.compat.prefect_client import (
    free_port,
    prefect_python,
    run_flow_script,
    start_reference_prefect_server,
)

SCRIPT = Path(__file__).parent / "scripts" / "logs_and_task_runs.py"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]

#: A log line as `prefect flow-run logs` prints it: time | level | where - message.
LOG_LINE = re.compile(r"^\S+ \S+ \| (\w+)\s* \| Flow run '[^']+' - (.*)$")


def printed_lines(output: str) -> list[tuple[str, str]]:
    return [match.groups() for match in map(LOG_LINE.match, output.splitlines()) if match]


def check(result: dict[str, Any]) -> None:
    """What Prefect's server shows after the script, checked on whichever server ran it."""
    for command in ("flow_run_logs", "flow_run_logs_head", "task_run_ls", "task_run_logs"):
        assert result[command]["code"] == 0, (command, result[command])
    ids = result["ids"]
    flow_lines = {"first line", "second line", "third line"}
    assert flow_lines | {"extracting rows", "report ready with 3 rows"} <= set(result["sdk_logs"])
    assert result["searched"] == ["first line", "third line"]
    assert result["task_run_states"] == ["COMPLETED", "COMPLETED"]
    assert result["tagged"] == [ids["extract"]]

    printed = printed_lines(result["flow_run_logs"]["out"])
    assert ("INFO", "extracting rows") in printed
    assert ("WARNING", "report ready with 3 rows") in printed
    assert flow_lines <= {message for _, message in printed}
    # --head: the oldest two lines only.
    head = printed_lines(result["flow_run_logs_head"]["out"])
    assert len(head) == 2 and head == printed[:2]

    listed = {run["id"] for run in json.loads(result["task_run_ls"]["out"])}
    assert {ids["extract"], ids["report"]} <= listed
    assert "extracting rows" in result["task_run_logs"]["out"]
    assert "report ready" not in result["task_run_logs"]["out"]


async def test_the_cli_and_sdk_read_runs_and_logs_back_from_signalbox(live_api_url: str) -> None:
    await asyncio.to_thread(prefect_python)
    run = await asyncio.to_thread(run_flow_script, SCRIPT, live_api_url, timeout=240)
    assert run.returncode == 0, run.describe()
    check(run.result)


@pytest.mark.skipif(
    os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") != "1",
    reason="a developer check against the reference Prefect server, not part of CI: "
    "set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to run it",
)
def test_the_reference_server_shows_the_same() -> None:
    prefect_python()
    with start_reference_prefect_server(free_port()) as server:
        run = run_flow_script(SCRIPT, server.api_url, timeout=240)
    assert run.returncode == 0, run.describe()
    check(run.result)
