"""The unmodified Prefect 3.9.1 client reads a run as the UI does: pages, history, lateness,
the graph, the logs file, a saved search; and its CSRF support switches itself off."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.compat.prefect_client import prefect_python, run_flow_script

SCRIPT = Path(__file__).parent / "scripts" / "ui_reads.py"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    """The Prefect virtualenv, built once (the first build downloads the client)."""
    return prefect_python()


async def test_the_client_reads_a_finished_run_as_the_ui_does(live_api_url: str) -> None:
    completed = await asyncio.to_thread(
        run_flow_script, SCRIPT, live_api_url, env={"PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true"}
    )
    result = completed.result
    assert completed.returncode == 0, completed.describe()
    assert (result["hello"], result["api_version"]) == ("\N{WAVING HAND SIGN}", "3.9.1")
    assert result["page"] == {"count": 1, "limit": 5, "pages": 1, "page": 1}
    assert len(result["page_ids"]) == 1
    assert result["flow_run_states"] == [["COMPLETED", 1]]
    assert result["task_run_states"] == [["COMPLETED", 2]]
    assert isinstance(result["lateness"], float)
    assert [label.split("-")[0] for label in result["graph_labels"]] == ["double", "double"]
    assert result["graph_roots"] == 1  # the second task run took the first one's future
    assert result["csv_header"] == "timestamp,level,flow_run_id,task_run_id,message"
    assert result["csv_has_the_end"] and result["saved_search"]
    # The 422 from /csrf-token told the client that Signalbox has no CSRF protection.
    assert result["csrf_support"] is False
