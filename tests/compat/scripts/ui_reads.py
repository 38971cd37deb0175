"""Compat script: a flow runs, then the UI's reads of it go through the client's HTTP session.

Run by the Prefect virtualenv's python. The client's own session sends the requests (with
its CSRF support on, so its first change asks /csrf-token), and the client's own response
models read the answers. Prints `RESULT {json}` with what came back.
"""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from prefect import flow, get_client, task
from prefect.client.schemas.objects import SavedSearch
from prefect.client.schemas.responses import FlowRunResponse, HistoryResponse
from pydantic import TypeAdapter

#: Seconds to wait for what the server stores after answering (task runs, logs).
WAIT_SECONDS = 30


@task
def double(x: int) -> int:
    return 2 * x


@flow(name="ui-reads")
def ui_reads() -> int:
    # A future passed on: the second task run's inputs name the first (an edge of the graph).
    return double.submit(double.submit(1)).result()


async def poll(read, done):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = await read()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


async def read_back(flow_run_id: str) -> dict:
    async with get_client() as client:
        http = client._client
        window = {
            "history_start": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "history_end": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "history_interval_seconds": 7200,
            "flow_runs": {"id": {"any_": [flow_run_id]}},
        }
        this_run = {"flow_runs": {"id": {"any_": [flow_run_id]}}}

        async def graph():
            return (await http.get(f"/flow_runs/{flow_run_id}/graph-v2")).json()

        async def logs():
            return (await http.get(f"/flow_runs/{flow_run_id}/logs/download")).text

        async def task_history():
            answer = (await http.post("/task_runs/history", json=window)).json()
            return TypeAdapter(list[HistoryResponse]).validate_python(answer)

        page = (await http.post("/flow_runs/paginate", json=this_run | {"limit": 5})).json()
        history = TypeAdapter(list[HistoryResponse]).validate_python(
            (await http.post("/flow_runs/history", json=window)).json()
        )
        tasks = await poll(task_history, lambda h: sum(s.count_runs for s in h[0].states) == 2)
        drawn = await poll(graph, lambda g: len(g["nodes"]) == 2)
        csv_text = await poll(logs, lambda text: "Finished in state" in text)
        name = f"compat-{uuid4().hex[:8]}"
        saved = SavedSearch.model_validate(
            (await http.put("/saved_searches/", json={"name": name, "filters": []})).json()
        )
        return {
            "hello": (await client.hello()).json(),
            "api_version": await client.api_version(),
            "page": {key: page[key] for key in ("count", "limit", "pages", "page")},
            "page_ids": [str(FlowRunResponse.model_validate(r).id) for r in page["results"]],
            "flow_run_states": [
                (s.state_type.value, s.count_runs) for entry in history for s in entry.states
            ],
            "task_run_states": [
                (s.state_type.value, s.count_runs) for entry in tasks for s in entry.states
            ],
            "lateness": (await http.post("/flow_runs/lateness", json=this_run)).json(),
            "graph_labels": sorted(node["label"] for _, node in drawn["nodes"]),
            "graph_roots": len(drawn["root_node_ids"]),
            "csv_header": csv_text.splitlines()[0],
            "csv_has_the_end": "Finished in state Completed()" in csv_text,
            "saved_search": saved.name == name,
            "csrf_support": http.enable_csrf_support,
        }


if __name__ == "__main__":
    state = ui_reads(return_state=True)
    result = asyncio.run(read_back(str(state.state_details.flow_run_id)))
    print("RESULT " + json.dumps(result))
