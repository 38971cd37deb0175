"""What each compat flow scenario must leave on a Prefect-API server, read through its REST API.

`check_<scenario>(api_url, result)` takes the RESULT its flow script printed and asserts what
the reference Prefect 3.9.1 server shows for that run: the flow run's final state, run count
and state history; every task run with its state history in order; every log line. The same
checks run against Signalbox.

Task runs reach a server over the events websocket, after the flow run has ended, and logs
come in batches, so every check polls the server until what it shows matches, or a deadline
passes (then the last observation and the expectation are shown side by side).
"""

from __future__ import annotations

import difflib
import json
import pprint
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, NamedTuple, TypeVar

T = TypeVar("T")

#: Seconds a check waits for the server to show everything a scenario left behind.
SETTLE_TIMEOUT_SECONDS: Final = 30.0

#: Seconds between two observations while polling.
POLL_INTERVAL_SECONDS: Final = 0.25

#: What a flow-run log line says in place of the flow run's (server-generated) name.
FLOW_RUN_NAME: Final = "{flow_run}"

INFO: Final = 20
WARNING: Final = 30
ERROR: Final = 40

FLOW_LOGGER: Final = "prefect.flow_runs"
TASK_LOGGER: Final = "prefect.task_runs"

# States as "TYPE/Name", which reads well in a diff.
PENDING: Final = "PENDING/Pending"
RUNNING: Final = "RUNNING/Running"
RETRYING: Final = "RUNNING/Retrying"
AWAITING_RETRY: Final = "SCHEDULED/AwaitingRetry"
COMPLETED: Final = "COMPLETED/Completed"
FAILED: Final = "FAILED/Failed"
TIMED_OUT: Final = "FAILED/TimedOut"

#: How the state history of every run that ran begins.
RAN_ONCE: Final = (PENDING, RUNNING)


class LogLine(NamedTuple):
    """One stored log line: level, logger, task run id (None for the flow's) and first line.

    Only the first line of a message is kept (tracebacks name local paths), with the flow
    run's name replaced by FLOW_RUN_NAME.
    """

    level: int
    logger: str
    task_run_id: str | None
    message: str


@dataclass(frozen=True)
class TaskRunView:
    """A task run as the server shows it."""

    id: str
    task: str  # the task run's name without its "-<key>" suffix: the task's name
    state: str
    message: str | None
    run_count: int
    history: tuple[str, ...]


@dataclass(frozen=True)
class FlowRunView:
    """A flow run as the server shows it, with its task runs (by id) and its log lines.

    The defaults describe a top-level flow run that ran once to a final state.
    """

    flow: str
    state: str
    history: tuple[str, ...]
    message: str | None = None
    run_count: int = 1
    started: bool = True  # start_time is set
    ended: bool = True  # end_time is set
    parent_task_run_id: str | None = None
    task_runs: tuple[TaskRunView, ...] = ()
    logs: tuple[LogLine, ...] = ()


# --- talking to the server -------------------------------------------------------------------


class NotYetThere(Exception):
    """The server does not have the object yet (404), or asked to be asked again later (503)."""


def call_api(api_url: str, method: str, path: str, body: Any = None) -> Any:
    """Send one JSON request to the API and return the decoded answer.

    404 and 503 raise NotYetThere, which polling retries; other errors fail the check.
    """
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        api_url.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 503):
            raise NotYetThere(f"{method} {path} answered {exc.code}") from exc
        raise AssertionError(f"{method} {path} answered {exc.code}: {exc.read()[:2000]!r}") from exc
    return json.loads(payload) if payload else None


def poll_until(
    observe: Callable[[], T], expected: T, *, what: str, timeout: float = SETTLE_TIMEOUT_SECONDS
) -> T:
    """Observe until the observation equals `expected`; fail with a diff after `timeout` s.

    `observe` may raise NotYetThere while the server has not caught up.
    """
    deadline = time.monotonic() + timeout
    observed: T | str
    while True:
        try:
            observed = observe()
        except NotYetThere as missing:
            observed = f"nothing yet: {missing}"
        if observed == expected:
            return observed
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_INTERVAL_SECONDS)  # polling interval, bounded by the deadline
    diff = "\n".join(
        difflib.unified_diff(
            pprint.pformat(expected, width=100).splitlines(),
            pprint.pformat(observed, width=100).splitlines(),
            "expected",
            "observed",
            lineterm="",
        )
    )
    raise AssertionError(f"{what} did not match within {timeout}s:\n{diff}")


def observe_flow_run(api_url: str, flow_run_id: str) -> FlowRunView:
    """Read a flow run, its flow, its state history, its task runs and its logs."""
    flow_run = call_api(api_url, "GET", f"/flow_runs/{flow_run_id}")
    flow = call_api(api_url, "GET", f"/flows/{flow_run['flow_id']}")
    states = call_api(api_url, "GET", f"/flow_run_states/?flow_run_id={flow_run_id}")
    task_runs = call_api(
        api_url,
        "POST",
        "/task_runs/filter",
        {"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}},
    )
    logs = call_api(
        api_url, "POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run_id]}}}
    )
    state = flow_run.get("state") or {}
    return FlowRunView(
        flow=flow["name"],
        state=state_label(flow_run.get("state")),
        message=state.get("message"),
        run_count=flow_run["run_count"],
        started=flow_run.get("start_time") is not None,
        ended=flow_run.get("end_time") is not None,
        parent_task_run_id=flow_run.get("parent_task_run_id"),
        history=history(states),
        task_runs=tuple(
            sorted((observe_task_run(api_url, task_run) for task_run in task_runs), key=by_id)
        ),
        logs=sorted_logs(log_line(row, flow_run["name"]) for row in logs),
    )


def observe_task_run(api_url: str, task_run: dict[str, Any]) -> TaskRunView:
    """A task run from a filter answer, with its state history read from the server."""
    states = call_api(api_url, "GET", f"/task_run_states/?task_run_id={task_run['id']}")
    state = task_run.get("state") or {}
    return TaskRunView(
        id=task_run["id"],
        task=task_run["name"].rsplit("-", 1)[0],
        state=state_label(task_run.get("state")),
        message=state.get("message") or None,  # states built from events carry "" for none
        run_count=task_run["run_count"],
        history=history(states),
    )


def state_label(state: dict[str, Any] | None) -> str:
    """A state as "TYPE/Name"."""
    return "none" if state is None else f"{state['type']}/{state['name']}"


def history(states: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """A run's states as "TYPE/Name", oldest first (by their timestamps)."""
    ordered = sorted(states, key=lambda state: datetime.fromisoformat(state["timestamp"]))
    return tuple(state_label(state) for state in ordered)


def log_line(row: dict[str, Any], flow_run_name: str) -> LogLine:
    """A stored log row as a LogLine (first line only, flow run name replaced)."""
    first_line = row["message"].split("\n", 1)[0]
    return LogLine(
        level=row["level"],
        logger=row["name"],
        task_run_id=row.get("task_run_id"),
        message=first_line.replace(f"'{flow_run_name}'", f"'{FLOW_RUN_NAME}'"),
    )


def sorted_logs(lines: Iterable[LogLine]) -> tuple[LogLine, ...]:
    """Log lines in a canonical order: lines from threads arrive in no fixed order."""
    return tuple(
        sorted(
            lines, key=lambda line: (line.task_run_id or "", line.level, line.logger, line.message)
        )
    )


def by_id(task_run: TaskRunView) -> str:
    """Sort key of task runs."""
    return task_run.id


def expect_flow_run(api_url: str, flow_run_id: str | None, expected: FlowRunView) -> None:
    """Poll the server until the flow run looks exactly like `expected`."""
    assert flow_run_id, "the flow script reported no flow run id"
    expected = replace(
        expected,
        task_runs=tuple(sorted(expected.task_runs, key=by_id)),
        logs=sorted_logs(expected.logs),
    )
    poll_until(
        lambda: observe_flow_run(api_url, flow_run_id),
        expected,
        what=f"Flow run {flow_run_id} ({expected.flow})",
    )


# --- building expectations -------------------------------------------------------------------


def flow_log(level: int, message: str) -> LogLine:
    """A line logged by the flow run itself (no task run)."""
    return LogLine(level, FLOW_LOGGER, None, message)


def task_log(task_run_id: str, level: int, message: str) -> LogLine:
    """A line logged by a task run."""
    return LogLine(level, TASK_LOGGER, task_run_id, message)


def beginning(flow: str) -> LogLine:
    """The engine's first line of a flow run."""
    return flow_log(INFO, f"Beginning flow run '{FLOW_RUN_NAME}' for flow '{flow}'")


def finished(state: str = "Completed()", task_run_id: str | None = None) -> LogLine:
    """The engine's last line of a flow run (or of a task run, given its id)."""
    line = f"Finished in state {state}"
    # The client logs a flow run's end at INFO whatever the state, a task run's failure at ERROR.
    level = INFO if task_run_id is None or state == "Completed()" else ERROR
    return flow_log(level, line) if task_run_id is None else task_log(task_run_id, level, line)


def completed_task_run(task_run_id: str, task: str) -> TaskRunView:
    """A task run that ran once and completed."""
    return TaskRunView(task_run_id, task, COMPLETED, None, 1, (*RAN_ONCE, COMPLETED))


def assert_client_outcome(result: dict[str, Any], *, raised: str | None, value: Any) -> None:
    """What the flow call gave back in the client: the exception class or the return value."""
    assert (result["raised"], result["return_value"]) == (raised, value), result


# --- one check per scenario ------------------------------------------------------------------


def check_tasks_basic(api_url: str, result: dict[str, Any]) -> None:
    """Six task runs (1 direct, 2 submitted, 3 mapped), all completed; every line logged."""
    assert_client_outcome(result, raised=None, value=40)
    task_runs = result["task_runs"]
    tasks = sorted(task_run["task"] for task_run in task_runs)
    assert tasks == ["add", "double", "double", "double", "square", "square"], result
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow="compat-tasks-basic",
            state=COMPLETED,
            history=(*RAN_ONCE, COMPLETED),
            task_runs=tuple(completed_task_run(t["id"], t["task"]) for t in task_runs),
            logs=(
                beginning("compat-tasks-basic"),
                flow_log(INFO, "tasks_basic starting"),
                flow_log(WARNING, "tasks_basic total is 40"),
                finished(),
                *(task_log(t["id"], INFO, t["logged"]) for t in task_runs),
                *(finished(task_run_id=t["id"]) for t in task_runs),
            ),
        ),
    )


def check_task_retry(api_url: str, result: dict[str, Any]) -> None:
    """One task run, Pending → Running → Retrying → Completed with run_count 2."""
    assert_client_outcome(result, raised=None, value=30)
    (task_run,) = result["task_runs"]
    assert [attempt["run_count"] for attempt in result["attempts"]] == [1, 2], result
    task_run_id = task_run["id"]
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow="compat-task-retry",
            state=COMPLETED,
            history=(*RAN_ONCE, COMPLETED),
            # The client retries without a delay, so neither Failed nor AwaitingRetry is sent.
            task_runs=(
                TaskRunView(
                    task_run_id, "flaky", COMPLETED, None, 2, (*RAN_ONCE, RETRYING, COMPLETED)
                ),
            ),
            logs=(
                beginning("compat-task-retry"),
                task_log(task_run_id, INFO, "flaky attempt 1"),
                task_log(
                    task_run_id,
                    INFO,
                    "Task run failed with exception: ValueError('first attempt fails')"
                    " - Retry 1/1 will start immediately",
                ),
                task_log(task_run_id, INFO, "flaky attempt 2"),
                finished(task_run_id=task_run_id),
                finished(),
            ),
        ),
    )


def check_task_fails(api_url: str, result: dict[str, Any]) -> None:
    """The task run and then the flow run end FAILED, each with the exception as message."""
    assert_client_outcome(result, raised="RuntimeError", value=None)
    (task_run,) = result["task_runs"]
    task_run_id = task_run["id"]
    task_message = "Task run encountered an exception RuntimeError: task boom"
    flow_message = "Flow run encountered an exception: RuntimeError: task boom"
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow="compat-task-fails",
            state=FAILED,
            message=flow_message,
            history=(*RAN_ONCE, FAILED),
            task_runs=(
                TaskRunView(task_run_id, "explode", FAILED, task_message, 1, (*RAN_ONCE, FAILED)),
            ),
            logs=(
                beginning("compat-task-fails"),
                task_log(
                    task_run_id, ERROR, "Task run failed with exception: RuntimeError('task boom')"
                ),
                finished(f"Failed('{task_message}')", task_run_id),
                flow_log(
                    ERROR, "Encountered exception during execution: RuntimeError('task boom')"
                ),
                finished(f"Failed('{flow_message}')"),
            ),
        ),
    )


def check_flow_fails(api_url: str, result: dict[str, Any]) -> None:
    """The flow run ends FAILED with the exception as message; no task runs."""
    assert_client_outcome(result, raised="ValueError", value=None)
    message = "Flow run encountered an exception: ValueError: flow boom"
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow="compat-flow-fails",
            state=FAILED,
            message=message,
            history=(*RAN_ONCE, FAILED),
            logs=(
                beginning("compat-flow-fails"),
                flow_log(INFO, "flow_fails is about to raise"),
                flow_log(ERROR, "Encountered exception during execution: ValueError('flow boom')"),
                finished(f"Failed('{message}')"),
            ),
        ),
    )


def check_flow_retries(api_url: str, result: dict[str, Any]) -> None:
    """The server turns the first FAILED into AwaitingRetry; the second run completes.

    run_count is 2, and the retry's RUNNING state is named plain "Running".
    """
    assert_client_outcome(result, raised=None, value="ok")
    assert result["attempts"] == [
        {"attempt": 1, "run_count": 1},
        {"attempt": 2, "run_count": 2},  # the client read run_count back from the server
    ], result
    flow = "compat-flow-retries"
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow=flow,
            state=COMPLETED,
            run_count=2,
            history=(*RAN_ONCE, AWAITING_RETRY, RUNNING, COMPLETED),
            logs=(
                beginning(flow),
                flow_log(INFO, "flow_retries attempt 1"),
                flow_log(
                    ERROR,
                    "Encountered exception during execution:"
                    " ValueError('first flow attempt fails')",
                ),
                flow_log(
                    INFO,
                    "Received non-final state 'AwaitingRetry' when proposing final state 'Failed'"
                    " and will attempt to run again...",
                ),
                beginning(flow),
                flow_log(INFO, "flow_retries attempt 2"),
                finished(),
            ),
        ),
    )


def check_subflow(api_url: str, result: dict[str, Any]) -> None:
    """The parent has one placeholder task run per child flow run, mirroring its states.

    The placeholder's history starts with the Pending it was created with, then repeats the
    child's Pending, Running and Completed.
    """
    assert_client_outcome(result, raised=None, value=3)
    children = result["children"]
    assert len(children) == 2, result
    placeholders = [child["parent_task_run_id"] for child in children]
    assert [task_run["id"] for task_run in result["task_runs"]] == placeholders, result
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow="compat-subflow-parent",
            state=COMPLETED,
            history=(*RAN_ONCE, COMPLETED),
            task_runs=tuple(
                TaskRunView(
                    placeholder,
                    "compat-subflow-child",
                    COMPLETED,
                    None,
                    1,
                    (PENDING, *RAN_ONCE, COMPLETED),
                )
                for placeholder in placeholders
            ),
            logs=(beginning("compat-subflow-parent"), finished()),
        ),
    )
    for child in children:
        expect_flow_run(
            api_url,
            child["flow_run_id"],
            FlowRunView(
                flow="compat-subflow-child",
                state=COMPLETED,
                parent_task_run_id=child["parent_task_run_id"],
                history=(*RAN_ONCE, COMPLETED),
                task_runs=(completed_task_run(child["task_run_id"], "increment"),),
                logs=(
                    flow_log(
                        INFO,
                        f"Beginning subflow run '{FLOW_RUN_NAME}' for flow 'compat-subflow-child'",
                    ),
                    finished(task_run_id=child["task_run_id"]),
                    finished(),
                ),
            ),
        )


def check_flow_timeout(api_url: str, result: dict[str, Any]) -> None:
    """The flow run ends FAILED with the state name TimedOut."""
    assert_client_outcome(result, raised="FlowRunTimeoutError", value=None)
    message = "Flow run exceeded timeout of 1.0 second(s)"
    expect_flow_run(
        api_url,
        result["flow_run_id"],
        FlowRunView(
            flow="compat-flow-timeout",
            state=TIMED_OUT,
            message=message,
            history=(*RAN_ONCE, TIMED_OUT),
            logs=(
                beginning("compat-flow-timeout"),
                flow_log(ERROR, message),
                finished(f"TimedOut('{message}', type=FAILED)"),
            ),
        ),
    )


#: Each flow script (file stem under flows/) with the check for its RESULT.
CHECKS: Final[dict[str, Callable[[str, dict[str, Any]], None]]] = {
    "tasks_basic": check_tasks_basic,
    "task_retry": check_task_retry,
    "task_fails": check_task_fails,
    "flow_fails": check_flow_fails,
    "flow_retries": check_flow_retries,
    "subflow": check_subflow,
    "flow_timeout": check_flow_timeout,
}
