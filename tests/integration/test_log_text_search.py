"""The log search box: `logs.text` finds lines by their message and logger, as Prefect does.

Runs on whichever database the suite runs on; the same SQL serves both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from models.db.database import Database
from models.runs.logs import Log

RUN = UUID(int=1)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

LINES = [
    ("prefect.flow_runs", "Connection RESET by peer"),
    ("prefect.task_runs", "retrying in 5s"),
    ("prefect.task_runs", "debug: cache hit"),
    ("app.db", "50% done"),
    ("app.db", "500 done"),
    ("app.db", 'said "hi" twice'),
]


@pytest.fixture
async def lines(database: Database) -> None:
    async with database.sessions.begin() as session:
        session.add_all(
            Log(
                name=name,
                level=20,
                message=message,
                timestamp=T0 + timedelta(seconds=index),
                flow_run_id=RUN,
            )
            for index, (name, message) in enumerate(LINES)
        )


async def search(api: TestClient, logs: dict[str, Any]) -> list[str]:
    response = await api.post("/api/logs/filter", json={"logs": logs})
    assert response.status == 200, await response.text()
    return [line["message"] for line in await response.json()]


def text(query: str) -> dict[str, Any]:
    return {"text": {"query": query}, "flow_run_id": {"any_": [str(RUN)]}}


CASES = [
    ("any case", "connection reset", ["Connection RESET by peer"]),
    ("either word", "reset retrying", ["Connection RESET by peer", "retrying in 5s"]),
    ("the logger's name too", "task_runs", ["retrying in 5s", "debug: cache hit"]),
    ("across message and logger", "peer prefect.flow", ["Connection RESET by peer"]),
    ("excluded", "task_runs -debug", ["retrying in 5s"]),
    ("required", "+app.db +done", ["50% done", "500 done"]),
    ("% is a plain character", "50%", ["50% done"]),
    ("_ is a plain character", "task_run_", []),
    ("a quoted phrase", '"said \\"hi\\""', ['said "hi" twice']),
    ("no terms: every line", "  ", [message for _, message in LINES]),
]


@pytest.mark.parametrize(
    ("query", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
async def test_a_search_finds_the_lines_prefect_finds(
    api: TestClient, lines: None, query: str, expected: list[str]
) -> None:
    assert await search(api, text(query)) == expected


async def test_with_or_each_kind_of_term_is_one_alternative(api: TestClient, lines: None) -> None:
    # As in Prefect, the search's clauses join the filter's others under its operator.
    logs = {"operator": "or_", "text": {"query": "peer"}, "level": {"ge_": 50}}
    assert await search(api, logs) == ["Connection RESET by peer"]


async def test_a_query_over_200_characters_is_refused(api: TestClient) -> None:
    response = await api.post("/api/logs/filter", json={"logs": text("x" * 201)})
    assert response.status == 422
    assert "detail" in await response.json()
