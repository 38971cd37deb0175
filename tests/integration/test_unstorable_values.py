"""NUL characters and NaN/Infinity: one rule on both databases, a 422 naming where they are."""

from __future__ import annotations

import json
import re
from uuid import uuid4

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from tests.integration.events import task_run_event
from tests.integration.test_events_websocket import open_socket, read_task_run
from tests.integration.test_flow_runs_api import make_flow_run
from tests.running import Drain

JSON = {"Content-Type": "application/json"}


async def post_raw(api: TestClient, path: str, body: str) -> aiohttp.ClientResponse:
    return await api.post(path, data=body.encode(), headers=JSON)


async def refusal(response: aiohttp.ClientResponse) -> tuple[list, str]:
    """The place and the message of a 422 refusing an unstorable value."""
    assert response.status == 422
    [error] = (await response.json())["detail"]
    assert error["type"] == "unstorable_value"
    return error["loc"], error["msg"]


@pytest.mark.parametrize(
    ("body", "loc", "held"),
    [
        ('{"name": "a\\u0000"}', ["body", "name"], "a NUL character"),
        ('{"name": "ok", "tags": ["x\\u0000"]}', ["body", "tags", 0], "a NUL character"),
        ('{"name": "ok", "labels": {"k\\u0000": 1}}', ["body", "labels", "k\\u0000"], "a NUL"),
        ('{"name": "ok", "labels": {"x": NaN}}', ["body", "labels", "x"], "NaN"),
        ('{"name": "ok", "labels": {"x": -Infinity}}', ["body", "labels", "x"], "-Infinity"),
    ],
)
async def test_a_flow_with_an_unstorable_value_is_a_422_naming_it_and_nothing_is_stored(
    api: TestClient, body: str, loc: list, held: str
) -> None:
    place, message = await refusal(await post_raw(api, "/api/flows/", body))
    assert place == loc and message.startswith(f"Value holds {held}")
    flows = await (await api.post("/api/flows/filter", json={})).json()
    assert flows == []


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
async def test_parameters_holding_nan_or_infinity_are_refused(api: TestClient, value: str) -> None:
    run = await make_flow_run(api)
    body = f'{{"flow_id": "{run["flow_id"]}", "parameters": {{"x": {value}}}}}'
    place, message = await refusal(await post_raw(api, "/api/flow_runs/", body))
    assert place == ["body", "parameters", "x"]
    assert message == f"Value holds {value}, which is not a JSON number"


async def test_nan_inside_a_string_is_only_text(api: TestClient) -> None:
    run = await make_flow_run(api)
    body = f'{{"flow_id": "{run["flow_id"]}", "parameters": {{"x": "NaN and Infinity"}}}}'
    response = await post_raw(api, "/api/flow_runs/", body)
    assert response.status == 201
    assert (await response.json())["parameters"] == {"x": "NaN and Infinity"}


async def test_a_variable_value_holding_nan_is_refused(api: TestClient) -> None:
    response = await post_raw(api, "/api/variables/", '{"name": "v", "value": {"a": [1, NaN]}}')
    assert (await refusal(response))[0] == ["body", "value", "a", 1]
    assert (await api.get("/api/variables/name/v")).status == 404


@pytest.mark.parametrize(
    "path",
    ["/api/v2/concurrency_limits/a%00b", "/api/flows/name/a%00b", "/api/variables/name/a%00"],
)
async def test_a_path_holding_a_nul_is_a_422(api: TestClient, path: str) -> None:
    response = await api.get(path)
    assert response.status == 422
    assert "path holds a NUL" in (await response.json())["detail"]


async def test_a_query_parameter_holding_a_nul_is_a_422_naming_it(api: TestClient) -> None:
    response = await api.get("/api/task_run_states/", params={"task_run_id": "a\x00"})
    assert response.status == 422
    assert "Query parameter task_run_id" in (await response.json())["detail"]


async def test_a_log_message_with_a_nul_is_still_kept_but_nan_in_a_log_is_refused(
    api: TestClient,
) -> None:
    record = {"name": "n", "level": 20, "message": "a\u0000b", "timestamp": "2026-11-25T18:00:00Z"}
    assert (await api.post("/api/logs/", json=[record])).status == 201
    nan = '[{"name": "n", "level": NaN, "message": "m", "timestamp": "2026-11-25T18:00:00Z"}]'
    response = await post_raw(api, "/api/logs/", nan)
    assert (await refusal(response))[0] == ["body", 0, "level"]


@pytest.mark.parametrize("bad", ["\u0000", float("nan")])
async def test_an_event_holding_a_nul_or_nan_closes_the_socket_and_loses_nothing_before_it(
    api: TestClient, drain: Drain, bad: object
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    socket = await open_socket(api, "/api/events/in")
    await socket.send_json(
        task_run_event(task_run_id, flow_run_id, "PENDING", "Pending", seconds=0)
    )
    refused = task_run_event(str(uuid4()), flow_run_id, "PENDING", "Pending", seconds=0)
    refused["payload"]["extra"] = bad
    await socket.send_str(json.dumps(refused))
    closing = await socket.receive(timeout=5)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert "Not an event: payload.extra holds" in (closing.extra or "")
    await drain()
    _, history = await read_task_run(api, task_run_id)
    assert history == ["Pending"]


async def test_no_route_answers_a_nul_or_nan_with_a_server_error(api: TestClient) -> None:
    """Every operation of the API description, its path ids or names and its body made to
    hold a NUL, then its body made to hold NaN: a 4xx each time, never a 5xx."""
    document = await (await api.get("/api/openapi.json")).json()
    answers: dict[str, int] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path == "/api/admin/database/clear":
                continue  # empties the database, whatever the body
            with_nul = re.sub(r"\{[^}]+\}", "a%00b", path)
            answers[f"{method} {with_nul}"] = (await api.request(method, with_nul)).status
            if "requestBody" not in operation:
                continue
            real = re.sub(r"\{[^}]+\}", str(uuid4()), path)
            for body in ('{"name": "a\\u0000", "value": ["\\u0000"]}', '{"name": NaN}'):
                response = await api.request(method, real, data=body.encode(), headers=JSON)
                answers[f"{method} {real} {body}"] = response.status
    assert len(answers) > 100
    assert {call: status for call, status in answers.items() if status >= 500} == {}
    refused = [status for call, status in answers.items() if "\\u0000" in call or "NaN" in call]
    assert set(refused) == {422}
