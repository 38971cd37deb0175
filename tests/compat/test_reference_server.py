"""The compat harness, checked against the reference Prefect 3.9.1 server.

A developer's check that the flow scripts and the expectations describe what the real Prefect
server does, so that the same expectations can judge Signalbox. It is not part of CI: it runs
only with SIGNALBOX_TEST_REFERENCE_PREFECT=1 (the first run builds the Prefect virtualenv).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.expectations import CHECKS
from tests.compat.prefect_client import (
    RunningServer,
    free_port,
    prefect_python,
    run_flow_script,
    start_reference_prefect_server,
)

FLOWS = Path(__file__).parent / "flows"

pytestmark = [
    pytest.mark.compat,
    pytest.mark.skipif(
        os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") != "1",
        reason="a developer check of the compat harness against the reference Prefect server, "
        "not part of CI: set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to run it",
    ),
    # The first run builds the Prefect virtualenv inside the fixture below.
    pytest.mark.timeout(900),
]


@pytest.fixture(scope="module")
def reference_server() -> Iterator[RunningServer]:
    """The reference Prefect server on a free port of 127.0.0.1, with an empty database."""
    prefect_python()  # build the virtualenv before the server's start-up deadline begins
    with start_reference_prefect_server(free_port()) as server:
        yield server


def test_every_checked_scenario_has_a_flow_script() -> None:
    # flows/ also holds the scripts of other compat tests, which check their own results.
    assert set(CHECKS) <= {path.stem for path in FLOWS.glob("*.py")}


@pytest.mark.parametrize("scenario", sorted(CHECKS))
def test_the_reference_server_shows_what_the_expectations_say(
    scenario: str, reference_server: RunningServer, tmp_path: Path
) -> None:
    args = [str(tmp_path / "attempted")] if scenario == "flow_retries" else []
    run = run_flow_script(FLOWS / f"{scenario}.py", reference_server.api_url, args=args)
    assert run.returncode == 0, run.describe()
    try:
        CHECKS[scenario](reference_server.api_url, run.result)
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n\n{run.describe()}") from None
