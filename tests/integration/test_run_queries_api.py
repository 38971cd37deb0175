"""Reading runs in the UI's ways: pages, history, lateness, the graph, logs as a file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient

from tests.integration.test_flow_runs_api import make_flow_run, propose
from tests.integration.test_logs_api import log_record
from tests.running import Drain


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def make_task_run(api: TestClient, flow_run_id: str, key: str, **fields: Any) -> dict:
    body = {"flow_run_id": flow_run_id, "task_key": key, "dynamic_key": "0", "name": key}
    response = await api.post("/api/task_runs/", json=body | fields)
    assert response.status == 201, await response.text()
    return await response.json()


async def test_paginate_answers_a_page_with_the_count_and_the_number_of_pages(
    api: TestClient,
) -> None:
    runs = [await make_flow_run(api, tags=["paged"]) for _ in range(5)]
    flow_id = runs[0]["flow_id"]
    body = {"flow_runs": {"tags": {"all_": ["paged"]}}, "limit": 2, "page": 3, "sort": "ID_DESC"}
    answer = await (await api.post("/api/flow_runs/paginate", json=body)).json()
    newest_first = sorted((run["id"] for run in runs), reverse=True)
    assert {key: answer[key] for key in ("count", "limit", "pages", "page")} == {
        "count": 5, "limit": 2, "pages": 3, "page": 3,
    }  # fmt: skip
    assert [run["id"] for run in answer["results"]] == newest_first[4:]
    # The results read as /filter's do (but for the estimates, which move with the clock).
    one = await (await api.post("/api/flow_runs/filter", json=body | {"offset": 4})).json()
    moving = ("estimated_run_time", "estimated_start_time_delta")
    assert [{k: v for k, v in run.items() if k not in moving} for run in answer["results"]] == [
        {k: v for k, v in run.items() if k not in moving} for run in one
    ]

    flows = await (await api.post("/api/flows/paginate", json={"limit": 200})).json()
    assert flow_id in [flow["id"] for flow in flows["results"]]
    assert (flows["page"], flows["pages"], flows["count"]) == (1, 1, len(flows["results"]))

    task_run = await make_task_run(api, runs[0]["id"], "t")
    tasks = await (
        await api.post(
            "/api/task_runs/paginate", json={"flow_runs": {"id": {"any_": [runs[0]["id"]]}}}
        )
    ).json()
    assert [run["id"] for run in tasks["results"]] == [task_run["id"]]
    assert (tasks["count"], tasks["limit"], tasks["pages"], tasks["page"]) == (1, 200, 1, 1)


async def test_paginate_refuses_a_page_below_one_and_a_limit_above_200(api: TestClient) -> None:
    for path in ("/api/flow_runs/paginate", "/api/task_runs/paginate", "/api/flows/paginate"):
        for body in ({"page": 0}, {"limit": 201}, {"page": "x"}, {"page": 2**40, "limit": 200}):
            response = await api.post(path, json=body)
            assert response.status == 422, (path, body)
            assert "detail" in await response.json()
        empty = await (await api.post(path, json={"page": 9, "limit": 0})).json()
        assert (empty["results"], empty["pages"], empty["page"]) == ([], 0, 9)


async def test_paginate_answers_labels_holding_integers_wider_than_64_bits(
    api: TestClient,
) -> None:
    # JSON numbers have no width, and such a label is accepted and stored: a page holding it
    # was a 500 (the fast JSON writer stops at 64 bits) where the filter answered it.
    wide = 2**70
    flow = await api.post(
        "/api/flows/",
        data=f'{{"name": "wide-{uuid4().hex[:6]}", "labels": {{"wide": {wide}, "n": -{wide}}}}}',
        headers={"Content-Type": "application/json"},
    )
    assert flow.status == 201, await flow.text()
    answer = await api.post("/api/flows/paginate", json={})
    assert answer.status == 200, await answer.text()
    (labels,) = [flow["labels"] for flow in (await answer.json())["results"]]
    assert labels == {"wide": wide, "n": -wide}


async def test_history_refuses_an_interval_or_a_start_no_time_can_hold(
    api: TestClient,
) -> None:
    body = {
        "history_start": "2030-01-01T00:00:00Z",
        "history_end": "2030-01-02T00:00:00Z",
        "history_interval_seconds": 1e20,
    }
    for path in ("/api/flow_runs/history", "/api/task_runs/history"):
        response = await api.post(path, json=body)
        assert response.status == 422, await response.text()
        assert "must not be more than" in (await response.json())["detail"]
        before_utc_began = body | {
            "history_start": "0001-01-01T00:00:00+05:00",
            "history_interval_seconds": 60,
        }
        response = await api.post(path, json=before_utc_began)
        assert response.status == 422, await response.text()
        errors = (await response.json())["detail"]
        assert [error["loc"] for error in errors] == [["body", "history_start"]], errors


async def test_history_near_the_end_of_time_ends_its_intervals_there(api: TestClient) -> None:
    # A long interval from a start near year 9999 reaches past the last representable time.
    body = {
        "history_start": "9999-12-01T00:00:00Z",
        "history_end": "9999-12-31T00:00:00Z",
        "history_interval_seconds": 86400 * 365,
    }
    response = await api.post("/api/flow_runs/history", json=body)
    assert response.status == 200, await response.text()
    (interval,) = await response.json()
    assert interval["interval_start"] == "9999-12-01T00:00:00Z"
    assert interval["interval_end"].startswith("9999-12-31T23:59:59")


async def test_history_counts_runs_per_interval_and_state(api: TestClient) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    tag = f"h-{uuid4().hex[:6]}"
    for offset, state in ((10, "COMPLETED"), (20, "COMPLETED"), (70, "FAILED"), (500, "FAILED")):
        scheduled_time = iso(start + timedelta(seconds=offset))
        scheduled = {"type": "SCHEDULED", "state_details": {"scheduled_time": scheduled_time}}
        run = await make_flow_run(api, tags=[tag], state=scheduled)
        await propose(api, run["id"], state, force=True)
    body = {
        "history_start": iso(start),
        "history_end": iso(start + timedelta(seconds=150)),
        "history_interval_seconds": 60,
        "flow_runs": {"tags": {"all_": [tag]}},
        "work_queues": None,
    }
    response = await api.post("/api/flow_runs/history", json=body)
    assert response.status == 200, await response.text()
    history = await response.json()
    assert [(entry["interval_start"], entry["interval_end"]) for entry in history] == [
        (iso(start + timedelta(seconds=60 * n)), iso(start + timedelta(seconds=60 * (n + 1))))
        for n in range(3)
    ]
    counts = [
        [
            (state["state_type"], state["state_name"], state["count_runs"])
            for state in entry["states"]
        ]
        for entry in history
    ]
    assert counts == [[("COMPLETED", "Completed", 2)], [("FAILED", "Failed", 1)], []]
    state = history[0]["states"][0]
    assert state["sum_estimated_run_time"] == 0.0
    assert state["sum_estimated_lateness"] == 0.0  # expected years ahead: not late

    short = await api.post("/api/flow_runs/history", json=body | {"history_interval_seconds": 0.5})
    assert short.status == 422
    assert await short.json() == {"detail": "History interval must not be less than 1 second."}
    missing = await api.post("/api/task_runs/history", json={"history_start": iso(start)})
    assert missing.status == 422 and "detail" in await missing.json()
    tasks = await api.post("/api/task_runs/history", json=body)
    assert tasks.status == 200 and [entry["states"] for entry in await tasks.json()] == [[]] * 3


async def test_lateness_averages_how_late_matching_runs_started(api: TestClient) -> None:
    tag = f"late-{uuid4().hex[:6]}"
    body = {"flow_runs": {"tags": {"all_": [tag]}}}
    assert await (await api.post("/api/flow_runs/lateness", json=body)).json() is None

    expected = datetime.now(UTC) - timedelta(seconds=100)
    scheduled = {"type": "SCHEDULED", "state_details": {"scheduled_time": iso(expected)}}
    waiting = await make_flow_run(api, tags=[tag], state=scheduled)
    on_time = await make_flow_run(api, tags=[tag])  # pending, expected now: not late
    await propose(api, on_time["id"], "COMPLETED", force=True)
    average = await (await api.post("/api/flow_runs/lateness", json=body)).json()
    # The scheduled run has waited about 100 s; the other counts zero.
    assert 45 <= average <= 60, (average, waiting["expected_start_time"])

    refused = await api.post("/api/flow_runs/lateness", json={"flow_runs": {"nope": 1}})
    assert refused.status == 422


async def test_the_graph_shows_task_runs_their_dependencies_and_the_run_states(
    api: TestClient,
) -> None:
    run = await make_flow_run(api)
    await propose(api, run["id"], "RUNNING")
    upstream = await make_task_run(api, run["id"], "extract")
    downstream = await make_task_run(
        api, run["id"], "load",
        task_inputs={"rows": [{"input_type": "task_run", "id": upstream["id"]}],
                     "__parents__": [{"input_type": "task_run", "id": upstream["id"]}]},
    )  # fmt: skip
    response = await api.get(f"/api/flow_runs/{run['id']}/graph-v2")
    assert response.status == 200, await response.text()
    graph = await response.json()
    nodes = dict((node_id, node) for node_id, node in graph["nodes"])
    assert set(nodes) == {upstream["id"], downstream["id"]}
    assert graph["root_node_ids"] == [upstream["id"]]
    assert nodes[upstream["id"]]["children"] == [{"id": downstream["id"]}]
    assert nodes[downstream["id"]]["parents"] == [{"id": upstream["id"]}]
    assert nodes[downstream["id"]]["encapsulating"] == [{"id": upstream["id"]}]
    assert (nodes[upstream["id"]]["kind"], nodes[upstream["id"]]["label"]) == (
        "task-run",
        "extract",
    )
    assert [state["type"] for state in graph["states"]] == ["PENDING", "RUNNING"]
    assert graph["artifacts"] == [] and graph["start_time"] is not None

    later = iso(datetime.now(UTC) + timedelta(days=1))
    since = await api.get(f"/api/flow_runs/{run['id']}/graph-v2", params={"since": later})
    assert len((await since.json())["nodes"]) == 2  # none has ended: all may still change
    bad = await api.get(f"/api/flow_runs/{run['id']}/graph-v2", params={"since": "yesterday"})
    assert bad.status == 422 and "detail" in await bad.json()
    unknown = await api.get(f"/api/flow_runs/{uuid4()}/graph-v2")
    assert unknown.status == 404 and await unknown.json() == {"detail": "Flow run not found"}


async def test_logs_download_as_a_csv_file_oldest_first(api: TestClient, drain: Drain) -> None:
    run = await make_flow_run(api, name="nightly run")
    records = [log_record(f"line {n}, with a comma", run["id"]) for n in range(450)]
    for n, record in enumerate(records):
        record["timestamp"] = iso(datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=n))
    assert (await api.post("/api/logs/", json=records)).status == 201
    await drain()

    response = await api.get(f"/api/flow_runs/{run['id']}/logs/download")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"flow-run-logs.csv\"; filename*=UTF-8''nightly%20run-logs.csv"
    )
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == ["timestamp", "level", "flow_run_id", "task_run_id", "message"]
    assert [row[4] for row in rows[1:]] == [f"line {n}, with a comma" for n in range(450)]
    assert rows[1][:4] == ["2030-01-01 00:00:00+00:00", "20", run["id"], ""]

    unknown = await api.get(f"/api/flow_runs/{uuid4()}/logs/download")
    assert unknown.status == 404 and await unknown.json() == {"detail": "Flow run not found"}


async def test_a_path_that_does_not_exist_is_a_404_and_a_wrong_method_a_405(
    api: TestClient,
) -> None:
    for method, path in (
        ("POST", "/api/flow_runs/nothing"),
        ("GET", "/api/flow_runs/not-a-uuid"),
        ("GET", "/api/task_runs/nothing"),
        ("POST", "/api/flows/nothing"),
        ("GET", "/api/saved_searches/nothing"),
        ("GET", f"/api/flow_runs/{uuid4()}/nothing"),
        # Every resource's `{id}` is a UUID only, so a word there is no id.
        ("POST", "/api/variables/nothing"),
        ("POST", "/api/artifacts/nothing"),
        ("POST", "/api/block_documents/nothing"),
        ("POST", "/api/flow_run_notification_policies/nothing"),
    ):
        response = await api.request(method, path)
        assert response.status == 404, (method, path)
        assert await response.json() == {"detail": "Not Found"}
    for method, path in (
        ("GET", "/api/flow_runs/paginate"),
        ("POST", f"/api/flow_runs/{uuid4()}"),
        ("DELETE", "/api/flow_runs/history"),
    ):
        assert (await api.request(method, path)).status == 405, (method, path)
