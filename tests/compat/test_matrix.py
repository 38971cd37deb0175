"""The compatibility matrix: user actions run with the real Prefect 3.9.1 client and CLI.

Every row of tests/compat/matrix/catalog.py runs against a live `signalbox server start`
(on the suite's database: SQLite in a fresh home, or SIGNALBOX_TEST_DATABASE_URL), and its
test asserts what the client saw and what the server shows afterwards, as Prefect's own server
shows it. With SIGNALBOX_TEST_REFERENCE_PREFECT=1 the same rows run against Prefect 3.9.1's
server instead, PENDING_ACTIONS included, which checks the expectations themselves.

Scripts run once, on the first row that needs them: a failure names its row,
`test_action[variable-set-overwrite]`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.servers import signalbox_server
from tests.compat.matrix.catalog import ACTIONS, PENDING_ACTIONS
from tests.compat.matrix.rows import Action
from tests.compat.matrix.runner import MatrixRun
from tests.compat.prefect_client import (
    free_port,
    prefect_python,
    start_reference_prefect_server,
)

#: Set to "1" to run the matrix against Prefect's own server rather than Signalbox.
REFERENCE = os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") == "1"

#: The rows collected: on the reference server the pending rows must pass too.
ROWS = [*ACTIONS, *PENDING_ACTIONS] if REFERENCE else ACTIONS

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatrixRun]:
    """The server under test, started once for the whole matrix, and the matrix run on it."""
    prefect_python()  # build the client's virtualenv before any start-up deadline begins
    if REFERENCE:
        with start_reference_prefect_server(free_port()) as reference:
            yield MatrixRun(reference.api_url, ROWS)
        return
    url = os.environ.get("SIGNALBOX_TEST_DATABASE_URL")
    database = url if url and make_url(url).get_backend_name() == "postgresql" else None
    with signalbox_server(tmp_path_factory.mktemp("matrix"), database) as server:
        yield MatrixRun(server.api_url, ROWS)


@pytest.mark.parametrize("action", ROWS, ids=lambda action: action.name)
def test_action(action: Action, matrix: MatrixRun) -> None:
    matrix.check(action)


def test_the_matrix_names_each_action_once_and_explains_each_pending_one() -> None:
    names = [action.name for action in [*ACTIONS, *PENDING_ACTIONS]]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert all(action.pending for action in PENDING_ACTIONS)
    assert not any(action.pending for action in ACTIONS)
    assert len(ACTIONS) + len(PENDING_ACTIONS) >= 150


def test_every_sdk_row_names_a_script_that_exists() -> None:
    scripts = Path(__file__).parent / "matrix" / "scripts"
    for action in [*ACTIONS, *PENDING_ACTIONS]:
        if action.script is not None:
            assert (scripts / f"{action.script}.py").is_file(), action.name
