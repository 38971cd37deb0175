"""Generated requests to every operation of /api/openapi.json: none is answered with a 5xx.

Schemathesis reads the API's own description and sends each operation bodies, path and
query parameters made from its schemas (valid ones and ones just outside them) to the real
API on a port, with in-process workers consuming what it queues, on the suite's database
(SQLite, or PostgreSQL when SIGNALBOX_TEST_DATABASE_URL names it). The one check is that no
answer is a server error: bad input is a 4xx with a JSON `detail`, as everywhere else. A
503 fails it too: nothing here makes the database or Redis busy or away.

No operation is left out: none stops the server, and the test runs without credentials
(`api_auth_string` unset), so none can take its own away. The websockets (/api/events/in
and /out) are not HTTP operations of the document and have their own tests.

Bounded in time and reproducible: Hypothesis is derandomized (the same examples on every
run, so CI is repeatable), the number of examples per operation is fixed, and shrinking is
off (a failure is reported with the example that found it, not a minimal one, rather than
spending minutes shrinking). With `EXAMPLES_PER_OPERATION` examples for each of the 184
operations (about 5,100 requests) a pass takes about 95 s on SQLite and on PostgreSQL alike,
on a 2-core machine running the other database's pass beside it (about 2.5 minutes when other
suites load the machine too).

Schemathesis's pytest plug-in (`schemathesis.pytest.from_fixture`) sets a pytest internal
that pytest 9.2 no longer has, so this test drives each operation's Hypothesis strategy
itself: one test, one server, one emptied database for all operations.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Final

import dramatiq
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation, BaseSchema

from models.db.database import Database
from models.settings import Settings
from tests.running import serve_api

#: Examples Hypothesis generates for each operation: enough to reach every body field's
#: edges, few enough that both databases' passes stay within ~3 minutes side by side.
EXAMPLES_PER_OPERATION: Final = 30

#: Seconds one request may take before the test gives up on it (a hang is a failure too).
REQUEST_TIMEOUT_SECONDS: Final = 30

pytestmark = [
    pytest.mark.timeout(600),
    # Schemathesis's own strategies draw from `random`; Hypothesis warns of it on every example.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]


@pytest.fixture
def fuzzed_api_url(
    database: Database, settings: Settings, workers: dramatiq.Worker
) -> Iterator[str]:
    """The real API on a port, served from its own thread and event loop.

    Schemathesis calls it with blocking `requests`, so the server cannot share the test's
    event loop.
    """
    loop = asyncio.new_event_loop()
    started: Future[str] = Future()
    stop = asyncio.Event()

    async def serve() -> None:
        try:
            async with serve_api(settings) as url:
                started.set_result(url)
                await stop.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield started.result(timeout=60)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=60)
        loop.close()


@pytest.fixture
def api_schema(fuzzed_api_url: str) -> BaseSchema:
    """The API's own description, as the API serves it."""
    # The document names no server and its paths begin with /api: requests go to the root
    # of the host the document came from.
    return schemathesis.openapi.from_url(f"{fuzzed_api_url}/openapi.json")


def fuzz_operation(operation: APIOperation, http: requests.Session, statuses: Counter[int]) -> None:
    """Send one operation its generated examples, counting the answers' statuses.

    Raises what the first failing example raised (a schemathesis failure naming the
    status, with the request to reproduce it).
    """
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        # A body the API refuses is the point here, not a fault of the generator.
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def send(case: Case) -> None:
        response = case.call(session=http, timeout=REQUEST_TIMEOUT_SECONDS)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    send()


def test_no_operation_answers_with_a_server_error(api_schema: BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 150, "the API describes fewer operations than it has"
    failures: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    with requests.Session() as http:
        for operation in operations:
            try:
                fuzz_operation(operation, http, statuses)
            # Every operation is tried and every failure reported; schemathesis reports
            # its failures as a group, which is a BaseExceptionGroup.
            except (Exception, BaseExceptionGroup) as exc:
                failures[operation.label] = f"{type(exc).__name__}: {exc}"
    print(
        f"{len(operations)} operations, {statuses.total()} requests, answered"
        f" {dict(sorted(statuses.items()))}, {len(failures)} failing"
    )
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
