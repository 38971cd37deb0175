"""Matrix actions: what a user reads back through `get_client()`, with filters and sorts."""

import time

from prefect import flow, get_run_logger, tags, task
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    LogFilter,
    LogFilterFlowRunId,
    TaskRunFilter,
    TaskRunFilterTags,
)
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Completed
from recording import action, run_actions
from running import client_call, ran

#: Seconds a read waits for task runs, which reach the server after their flow run.
SETTLE_SECONDS = 30


@task(tags=["mx-read-task"])
def noted() -> int:
    get_run_logger().info("mx read log line")
    return 1


@flow(name="mx-read-ok", flow_run_name="mx-read-run")
def read_ok() -> int:
    return noted()


@flow(name="mx-read-fails")
def read_fails() -> None:
    raise ValueError("read fails")


def eventually(read):  # type: ignore[no-untyped-def]
    """What `read` returns once it is not empty: task runs and logs reach a server's reads a
    moment after the client sent them."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while not (found := read()) and time.monotonic() < deadline:
        time.sleep(0.2)  # polling interval, bounded by the deadline
    return found


RUNS: dict[str, str] = {}


@action("read-setup-runs")
def setup_runs() -> object:
    with tags("mx-read-tag"):
        RUNS["ok"] = ran(read_ok)["flow_run_id"]
    RUNS["failed"] = ran(read_fails)["flow_run_id"]
    return sorted(RUNS)


@action("read-flow-by-name")
def read_flow_by_name() -> object:
    return client_call(lambda c: c.read_flow_by_name("mx-read-ok")).name


@action("read-flows-name-filter")
def read_flows_name_filter() -> object:
    wanted = FlowFilter(name=FlowFilterName(any_=["mx-read-ok", "mx-read-fails"]))
    return sorted(f.name for f in client_call(lambda c: c.read_flows(flow_filter=wanted)))


@action("read-flow-run")
def read_flow_run() -> object:
    run = client_call(lambda c: c.read_flow_run(RUNS["ok"]))
    return {"name": run.name, "state_type": run.state_type.value, "tags": run.tags}


@action("read-flow-runs-by-flow")
def read_flow_runs_by_flow() -> object:
    wanted = FlowFilter(name=FlowFilterName(any_=["mx-read-fails"]))
    runs = client_call(lambda c: c.read_flow_runs(flow_filter=wanted))
    return [str(run.id) for run in runs] == [RUNS["failed"]]


@action("read-flow-runs-by-state-type")
def read_flow_runs_by_state_type() -> object:
    failed = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["FAILED"])))
    runs = client_call(lambda c: c.read_flow_runs(flow_run_filter=failed))
    return RUNS["failed"] in [str(run.id) for run in runs] and RUNS["ok"] not in [
        str(run.id) for run in runs
    ]


@action("read-flow-runs-by-tag")
def read_flow_runs_by_tag() -> object:
    tagged = FlowRunFilter(tags=FlowRunFilterTags(all_=["mx-read-tag"]))
    runs = client_call(lambda c: c.read_flow_runs(flow_run_filter=tagged))
    return [str(run.id) for run in runs] == [RUNS["ok"]]


@action("read-flow-runs-by-name")
def read_flow_runs_by_name() -> object:
    named = FlowRunFilter(name=FlowRunFilterName(any_=["mx-read-run"]))
    runs = client_call(lambda c: c.read_flow_runs(flow_run_filter=named))
    return [run.name for run in runs]


@action("read-flow-runs-sorted")
def read_flow_runs_sorted() -> object:
    runs = client_call(lambda c: c.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=2))
    return len(runs)


@action("count-flow-runs")
def count_flow_runs() -> object:
    wanted = FlowFilter(name=FlowFilterName(any_=["mx-read-ok", "mx-read-fails"]))
    return client_call(lambda c: c.count_flow_runs(flow_filter=wanted))


@action("read-flow-run-states")
def read_flow_run_states() -> object:
    states = client_call(lambda c: c.read_flow_run_states(RUNS["ok"]))
    return [state.type.value for state in states]


@action("read-task-runs-of-flow-run")
def read_task_runs_of_flow_run() -> object:
    wanted = FlowRunFilter(id={"any_": [RUNS["ok"]]})
    runs = eventually(lambda: client_call(lambda c: c.read_task_runs(flow_run_filter=wanted)))
    return [{"name": run.name, "state_type": run.state_type.value} for run in runs]


@action("read-task-runs-by-tag")
def read_task_runs_by_tag() -> object:
    tagged = TaskRunFilter(tags=TaskRunFilterTags(all_=["mx-read-task"]))
    runs = eventually(lambda: client_call(lambda c: c.read_task_runs(task_run_filter=tagged)))
    return len(runs)


@action("read-logs-of-flow-run")
def read_logs_of_flow_run() -> object:
    wanted = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[RUNS["ok"]]))

    def read_line():  # type: ignore[no-untyped-def]
        logs = client_call(lambda c: c.read_logs(log_filter=wanted))
        return [log for log in logs if log.message == "mx read log line"]

    # Logs are stored a moment after the server accepted them, as on Prefect's server.
    return bool(eventually(read_line))


@action("set-flow-run-state")
def set_flow_run_state() -> object:
    async def go(client):  # type: ignore[no-untyped-def]
        run = await client.create_flow_run(read_ok)
        result = await client.set_flow_run_state(run.id, Completed(), force=True)
        return {"flow_run_id": str(run.id), "status": result.status.value}

    return client_call(go)


@action("delete-flow-run")
def delete_flow_run() -> object:
    async def go(client):  # type: ignore[no-untyped-def]
        run = await client.create_flow_run(read_ok)
        await client.delete_flow_run(run.id)
        return {"flow_run_id": str(run.id)}

    return client_call(go)


@action("create-flow-run")
def create_flow_run() -> object:
    async def go(client):  # type: ignore[no-untyped-def]
        run = await client.create_flow_run(read_ok, parameters={}, tags=["mx-created"])
        return {"flow_run_id": str(run.id), "state_type": run.state_type.value}

    return client_call(go)


@action("client-hello")
def client_hello() -> object:
    return {"status_code": client_call(lambda c: c.hello()).status_code}


@action("client-api-version")
def client_api_version() -> object:
    return {"version": client_call(lambda c: c.api_version())}


if __name__ == "__main__":
    run_actions()
