"""Every filter body the Prefect 3.9.1 client can send is taken: 200, never a 422.

`scripts/filter_bodies.py` builds, in the client's virtualenv, every filter and sort
model of the installed client with every field set to a value other than its default, and
dumps them as the client does. Each body goes to every endpoint that takes it. Endpoints that
Signalbox does not serve yet have their bodies read and run by the model functions their
routes will call. With SIGNALBOX_TEST_REFERENCE_PREFECT=1 the same bodies go to Prefect's own
server, which shows the expectations are Prefect's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from aiohttp.test_utils import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from models.db.base import Base
from models.db.database import Database
from models.filters.base import FilterBody, Listing, count_matching, list_matching
from tests.compat.prefect_client import (
    RunningServer,
    free_port,
    prefect_python,
    run_flow_script,
    start_reference_prefect_server,
)

SCRIPT = Path(__file__).parent / "scripts" / "filter_bodies.py"

#: The work pool the pool-scoped paths name.
POOL: Final = "compat-pool"

#: Endpoints whose routes Signalbox does not have yet (deployments and work pools have issues
#: of their own): the body class and table their route will read them with.
NOT_YET_ROUTED: Final[dict[str, tuple[type[FilterBody], type[Base]]]] = {}

#: What Prefect's server refuses although its own client can send it: its deployment sort
#: lacks the client's CONCURRENCY_LIMIT_* values (Signalbox sorts by the limit).
REFERENCE_REFUSES: Final = {
    ("/deployments/filter", "CONCURRENCY_LIMIT_ASC"),
    ("/deployments/filter", "CONCURRENCY_LIMIT_DESC"),
}

#: Filter models no endpoint's body holds (the client uses them elsewhere, or not at all).
UNSENT_MODELS: Final = {
    "FilterSet",
    "LogFilterName",
    "WorkerFilterWorkPoolId",
    "_FlowRunFilterBaseModel",
}

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]

Bodies = list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def client_bodies() -> Iterator[tuple[Bodies, list[str]]]:
    """The bodies and the names of the models they hold, made by the client's own models."""
    prefect_python()
    # The script talks to no server; the URL only satisfies the harness.
    run = run_flow_script(SCRIPT, "http://127.0.0.1:9/api", timeout=120)
    assert run.returncode == 0, run.describe()
    yield [(path, body) for path, body in run.result["bodies"]], run.result["models"]


def shape(path: str) -> str:
    """The path with its parameters blanked, as routes and NOT_YET_ROUTED name it."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def concrete(path: str) -> str:
    return path.replace("{pool}", POOL)


def described(path: str, body: dict[str, Any]) -> str:
    return f"{path} (sort {body.get('sort')})"


def filter_model_names() -> set[str]:
    """Every filter model of the installed client, read in its virtualenv."""
    probe = (
        "import inspect, json; from pydantic import BaseModel;"
        "from prefect.client.schemas import filters as f;"
        "print(json.dumps(sorted(n for n, c in inspect.getmembers(f, inspect.isclass)"
        " if issubclass(c, BaseModel) and c.__module__ == f.__name__)))"
    )
    done = subprocess.run(
        [str(prefect_python()), "-c", probe], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def test_the_bodies_hold_every_filter_model_of_the_client(
    client_bodies: tuple[Bodies, list[str]],
) -> None:
    _, models = client_bodies
    assert set(models) == filter_model_names() - UNSENT_MODELS


async def test_signalbox_serves_every_endpoint_but_those_listed_as_not_yet_routed(
    api: TestClient, client_bodies: tuple[Bodies, list[str]]
) -> None:
    served = {shape(route.resource.canonical) for route in api.app.router.routes()}
    paths = {shape(path) for path, _ in client_bodies[0]}
    missing = {path for path in paths if shape(f"/api{path}") not in served}
    assert missing == set(NOT_YET_ROUTED), "routed now: take it out of NOT_YET_ROUTED"


async def test_signalbox_answers_200_to_every_body_the_client_can_send(
    api: TestClient, database: Database, client_bodies: tuple[Bodies, list[str]]
) -> None:
    created = await api.post("/api/work_pools/", json={"name": POOL, "type": "process"})
    assert created.status == 201, await created.text()
    refused = []
    for path, body in client_bodies[0]:
        if shape(path) in NOT_YET_ROUTED:
            try:
                await read_without_a_route(database, path, body)
            except ValidationError as error:
                refused.append(f"{described(path, body)}: {error}")
            continue
        response = await api.post(f"/api{concrete(path)}", json=body)
        if response.status != 200:
            refused.append(f"{described(path, body)}: {response.status} {await response.text()}")
    assert refused == []


async def read_without_a_route(database: Database, path: str, body: dict[str, Any]) -> None:
    """What the route will do: read the body, run its query (it must not raise)."""
    body_class, table = NOT_YET_ROUTED[shape(path)]
    parsed = body_class.model_validate(body)
    async with database.read_sessions() as session:
        if isinstance(parsed, Listing) and path.endswith("/filter"):
            await list_matching(session, select(table), parsed)
        else:
            await count_matching(session, table.id, parsed)


@pytest.mark.skipif(
    os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") != "1",
    reason="a developer check against the reference Prefect server, not part of CI: "
    "set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to run it",
)
def test_the_reference_server_answers_the_same(client_bodies: tuple[Bodies, list[str]]) -> None:
    with start_reference_prefect_server(free_port()) as server:
        post(server, "/work_pools/", {"name": POOL, "type": "process"})
        answers = {
            (path, body.get("sort")): post(server, concrete(path), body)
            for path, body in client_bodies[0]
        }
    refused = {key for key, status in answers.items() if status != 200}
    assert refused == REFERENCE_REFUSES
    assert {answers[key] for key in REFERENCE_REFUSES} == {422}


def post(server: RunningServer, path: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        server.api_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
