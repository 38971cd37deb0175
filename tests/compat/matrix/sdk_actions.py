"""The matrix rows run through the SDK: one script per group, one row per action.

Each row: the action's name (its pytest id), its README area, what the client saw, and the
reads that show what the server kept. Every expectation is what Prefect 3.9.1's server shows.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from tests.compat.matrix.reads import (
    artifact,
    artifacts_of_flow_run,
    block,
    child_runs,
    events,
    flow_run,
    flow_run_history,
    global_limit,
    logs,
    tag_limit,
    task_runs,
    variable,
)
from tests.compat.matrix.rows import (
    Action,
    Matcher,
    Read,
    containing,
    each,
    length,
    nothing,
    plucked,
    present,
    sdk,
    some,
    unordered,
)

flows = partial(sdk, "flows_tasks")
behaviours = partial(sdk, "behaviours")
stores = partial(sdk, "stores")
coordination = partial(sdk, "coordination")
reads = partial(sdk, "client_reads")

COMPLETED: Final = {"state_type": "COMPLETED"}
FAILED: Final = {"state_type": "FAILED"}
RAN_AND_COMPLETED: Final = ["PENDING", "RUNNING", "COMPLETED"]


def completed_tasks(count: int) -> Read:
    return task_runs(each(COMPLETED | {"run_count": 1}, at_least=count) if count else length(0))


def unordered_states(*names: str) -> Matcher:
    """Task runs whose state names are `names`, in any order."""
    return plucked("state_name", unordered(*names))


def flow_run_missing() -> Read:
    return Read("/flow_runs/{flow_run_id}", status=404)


def history(*types: str) -> Read:
    return flow_run_history(plucked("type", list(types)))


# fmt: off
FLOWS_AND_TASKS: Final = [
    flows("flows", "flow-returns-value", COMPLETED | {"value": 42},
          flow_run(state_type="COMPLETED", state_name="Completed", run_count=1,
                   start_time=present(), end_time=present()),
          history(*RAN_AND_COMPLETED)),
    flows("flows", "flow-parameters", {"value": "mx-7"},
          flow_run(parameters={"x": 7, "label": "mx"}, state_type="COMPLETED")),
    flows("flows", "flow-run-name-template", {"value": 3}, flow_run(name="mx-run-3")),
    flows("flows", "flow-raises", FAILED | {"raised": "ValueError"},
          flow_run(state_type="FAILED", state={"message": containing("ValueError: flow boom")}),
          history("PENDING", "RUNNING", "FAILED")),
    flows("flows", "flow-returns-failed-state", FAILED | {"raised": "FailedRun"},
          flow_run(state={"type": "FAILED", "message": "chosen failure"})),
    flows("flows", "flow-returns-completed-state", COMPLETED,
          flow_run(state={"type": "COMPLETED", "message": "all done"})),
    flows("flows", "flow-version", COMPLETED, flow_run(flow_version="v9")),
    flows("flows", "flow-with-options-run-name", COMPLETED, flow_run(name="mx-chosen-name")),
    flows("flows", "flow-async", {"value": 42}, flow_run(state_type="COMPLETED"),
          completed_tasks(1)),
    flows("tags", "flow-tags-context", {"value": 2},
          flow_run(tags=unordered("mx-a", "mx-b")),
          task_runs([{"tags": unordered("mx-a", "mx-b")}])),
    flows("logs", "flow-log-prints", COMPLETED,
          logs(some({"message": "mx printed line", "level": 20, "task_run_id": None}))),
    flows("logs", "flow-run-logger", COMPLETED,
          logs(some({"message": "mx warning line", "level": 30, "task_run_id": None})),
          logs(some({"message": "mx error line", "level": 40}))),
    flows("logs", "task-run-logger", COMPLETED,
          logs(some({"message": "mx task says hello", "level": 20, "task_run_id": present(),
                     "name": "prefect.task_runs"}))),
    flows("tasks", "task-call", {"value": 10}, completed_tasks(1),
          task_runs([{"name": containing("double-"), "task_key": containing("double")}])),
    flows("tasks", "task-submit", {"value": [0, 2, 4]}, completed_tasks(3), task_runs(length(3))),
    flows("tasks", "task-map", {"value": [2, 4, 6, 8]}, completed_tasks(4),
          task_runs(length(4))),
    flows("tasks", "task-fails", FAILED | {"raised": "RuntimeError"},
          task_runs([{"state_type": "FAILED",
                      "state": {"message": containing("RuntimeError: task boom")}}]),
          flow_run(state_type="FAILED")),
    flows("tasks", "task-return-state", COMPLETED | {"value": "FAILED"},
          task_runs([FAILED]), flow_run(state_type="COMPLETED")),
    flows("tags", "task-run-name-and-tags", {"value": 16},
          task_runs([{"name": "square-of-4", "tags": ["mx-task-tag"], **COMPLETED}])),
    flows("tasks", "task-wait-for", {"value": 4}, completed_tasks(2),
          task_runs(some({"task_inputs": {"wait_for": [{"input_type": "task_run",
                                                         "id": present()}]}}))),
    flows("tags", "task-with-options", {"value": 6},
          task_runs([{"name": containing("mx-renamed"), "tags": ["mx-opt"]}])),
    flows("tasks", "task-upstream-inputs", {"value": 4}, completed_tasks(2),
          task_runs(some({"task_inputs": {"x": [{"input_type": "task_run", "id": present()}]}}))),
    flows("tasks", "task-outside-flow", {"value": 16},
          Read("/task_runs/{task_run_id}", {"name": "double", **COMPLETED})),
]

BEHAVIOURS: Final = [
    behaviours("retries", "task-retries", {"value": "ok"},
               task_runs([{"run_count": 2, **COMPLETED}])),
    behaviours("retries", "task-retries-exhausted", FAILED | {"raised": "ValueError"},
               task_runs([{"run_count": 2, **FAILED}])),
    behaviours("retries", "task-retry-delay", {"value": "ok"},
               task_runs([{"run_count": 2, **COMPLETED}])),
    behaviours("retries", "task-retry-condition-fn", FAILED | {"attempts": 1},
               task_runs([{"run_count": 1, **FAILED}])),
    behaviours("retries", "flow-retries", {"value": "ok"},
               flow_run(run_count=2, state_type="COMPLETED"),
               history("PENDING", "RUNNING", "SCHEDULED", "RUNNING", "COMPLETED")),
    behaviours("retries", "flow-retries-exhausted", FAILED | {"attempts": 2},
               flow_run(run_count=2, state_type="FAILED")),
    behaviours("timeouts", "flow-timeout", {"state_name": "TimedOut"},
               flow_run(state={"type": "FAILED", "name": "TimedOut",
                               "message": "Flow run exceeded timeout of 1.0 second(s)"})),
    behaviours("timeouts", "task-timeout", {"state_name": "TimedOut"},
               task_runs([{"state": {"type": "FAILED", "name": "TimedOut"}}]),
               flow_run(state_type="FAILED")),
    behaviours("hooks", "hooks-on-completion",
               COMPLETED | {"hooks": ["flow-completed", "task-completed"]},
               flow_run(state_type="COMPLETED"), completed_tasks(1)),
    behaviours("hooks", "hooks-on-failure", FAILED | {"hooks": ["flow-failed", "task-failed"]},
               flow_run(state_type="FAILED"), task_runs([FAILED])),
    behaviours("hooks", "hooks-on-running", COMPLETED | {"hooks": ["flow-running"]},
               flow_run(state_type="COMPLETED")),
    behaviours("caching", "cache-key-fn", {"value": [2, 2]},
               task_runs(unordered_states("Completed", "Cached"))),
    behaviours("caching", "cache-policy-inputs", {"value": [11, 11, 22]},
               task_runs(unordered_states("Completed", "Cached", "Completed"))),
    behaviours("caching", "cache-refresh", {"value": [11, 12]},
               task_runs(unordered_states("Completed", "Completed"))),
    behaviours("caching", "cache-policy-none", {"value": [11, 12]},
               task_runs(unordered_states("Completed", "Completed"))),
    behaviours("subflows", "subflow-calls", {"value": 6},
               child_runs(each({"parent_task_run_id": present(), **COMPLETED}, at_least=2)),
               child_runs(length(2)), task_runs(each(COMPLETED, at_least=2))),
    behaviours("subflows", "subflow-fails-parent", FAILED | {"raised": "ValueError"},
               child_runs([FAILED]), flow_run(state_type="FAILED")),
    behaviours("subflows", "subflow-return-state", COMPLETED | {"value": "FAILED"},
               child_runs([FAILED]), flow_run(state_type="COMPLETED")),
    behaviours("subflows", "subflow-nested", {"value": 6},
               child_runs([COMPLETED]), task_runs([COMPLETED])),
]

STORES: Final = [
    stores("variables", "variable-set-get", 42, variable("mx_int", {"value": 42, "tags": []})),
    stores("variables", "variable-set-json", {"a": [1, 2], "b": {"c": None}},
           variable("mx_json", {"value": {"a": [1, 2], "b": {"c": None}}})),
    stores("variables", "variable-set-refuses-existing", "ValueError",
           variable("mx_once", {"value": "first"})),
    stores("variables", "variable-set-overwrite", "second",
           variable("mx_over", {"value": "second"})),
    stores("variables", "variable-get-default", "fallback", variable("mx_missing", status=404)),
    stores("variables", "variable-unset", {"unset": True, "after": None},
           variable("mx_gone", status=404)),
    stores("variables", "variable-tags", "v",
           variable("mx_tagged", {"tags": unordered("mx-t1", "mx-t2")})),
    stores("variables", "variable-async", [1, 2, 3], variable("mx_async", {"value": [1, 2, 3]})),
    stores("variables", "variable-in-flow", COMPLETED | {"value": "inside"},
           variable("mx_in_flow", {"value": "inside"})),
    stores("artifacts", "artifacts-in-flow", COMPLETED,
           artifact("mx-markdown", {"type": "markdown", "data": "# Report\n*fine*",
                                    "description": "mx desc", "flow_run_id": "{flow_run_id}"}),
           artifact("mx-link", {"type": "markdown",
                                "data": "[mx link](https://example.invalid/mx)"}),
           artifact("mx-table", {"type": "table", "task_run_id": present(),
                                 "data": containing('"a": 1', '"b": 4')}),
           artifact("mx-progress", {"type": "progress", "data": 75.0}),
           artifact("mx-image", {"type": "image", "data": "https://example.invalid/mx.png"}),
           artifact("mx-columns", {"type": "table", "data": containing('"col": [1, 2, 3]')}),
           artifacts_of_flow_run(length(7))),
    stores("artifacts", "artifact-get-by-key", {"type": "markdown", "data": "# Report\n*fine*"}),
    stores("artifacts", "artifact-new-version", "version 2",
           artifact("mx-versions", {"data": "version 2"}),
           Read("/artifacts/filter", length(2), "POST",
                {"artifacts": {"key": {"any_": ["mx-versions"]}}})),
    stores("artifacts", "artifact-get-missing", nothing()),
    stores("blocks", "block-custom-save-load",
           {"host": "db.example", "port": 6543, "password": "s3cret"},
           block("matrix-settings", "mx-db",
                 {"data": {"host": "db.example", "port": 6543, "password": "********"},
                  "block_type": {"slug": "matrix-settings"}})),
    stores("blocks", "block-save-refuses-existing", "ValueError",
           block("matrix-settings", "mx-once", {"data": {"host": "a"}})),
    stores("blocks", "block-save-overwrite", "b",
           block("matrix-settings", "mx-over", {"data": {"host": "b"}})),
    stores("blocks", "block-load-missing", "ValueError"),
    stores("blocks", "block-delete", "ValueError",
           block("matrix-settings", "mx-deleted", status=404)),
    stores("blocks", "block-load-by-slug", "db.example"),
    stores("blocks", "block-secret", "hunter2",
           block("secret", "mx-secret", {"data": {"value": "********"}})),
]

COORDINATION: Final = [
    coordination("concurrency limits", "tag-limit-create", present(),
                 tag_limit("mx-limited", {"tag": "mx-limited"})),
    coordination("concurrency limits", "tag-limit-read",
                 {"tag": "mx-limited", "concurrency_limit": 1}),
    coordination("concurrency limits", "tag-limit-tasks-run", {"value": [1, 2, 3]},
                 completed_tasks(3), tag_limit("mx-limited", {"active_slots": []})),
    coordination("concurrency limits", "tag-limit-list", some("mx-limited")),
    coordination("concurrency limits", "tag-limit-reset", nothing(),
                 tag_limit("mx-limited", {"active_slots": [], "concurrency_limit": 1})),
    coordination("concurrency limits", "tag-limit-delete", "ObjectNotFound",
                 tag_limit("mx-dropped", status=404)),
    coordination("concurrency limits", "global-limit-create", present(),
                 global_limit("mx-global")),
    coordination("concurrency limits", "global-limit-occupy", {"inside": 2, "after": 0}),
    coordination("concurrency limits", "global-limit-update", {"limit": 5, "active": False},
                 global_limit("mx-global", {"limit": 5, "active": False})),
    coordination("concurrency limits", "global-limit-strict-missing",
                 "ConcurrencySlotAcquisitionError"),
    coordination("concurrency limits", "global-limit-delete", "ObjectNotFound",
                 global_limit("mx-global-gone", status=404)),
    coordination("concurrency limits", "rate-limit", {"limit": 3, "slot_decay_per_second": 10.0},
                 global_limit("mx-rate", {"slot_decay_per_second": 10.0})),
    coordination("events", "event-emit", present(),
                 events("mx.custom.happened", {"events": [{
                     "event": "mx.custom.happened", "payload": {"answer": 42},
                     "resource": {"prefect.resource.id": "mx.resource.1", "mx-label": "yes"},
                     "related": some({"prefect.resource.id": "mx.related.1",
                                      "prefect.resource.role": "mx-role"})}]})),
    coordination("events", "event-emit-several", 3,
                 events("mx.counted", {"events": length(3), "total": 3}),
                 Read("/events/count-by/event", some({"value": "mx.counted", "count": 3}),
                      "POST", {"filter": {"event": {"name": ["mx.counted"]}}})),
    coordination("cancellation", "cancel-scheduled-run", {"status": "REJECT"},
                 flow_run(state_type="CANCELLED")),
    coordination("cancellation", "cancel-to-cancelled", {"status": "ACCEPT"},
                 flow_run(state_type="CANCELLED")),
]

CLIENT_READS: Final = [
    reads("client reads", "read-setup-runs", ["failed", "ok"]),
    reads("client reads", "read-flow-by-name", "mx-read-ok"),
    reads("client reads", "read-flows-name-filter", ["mx-read-fails", "mx-read-ok"]),
    reads("client reads", "read-flow-run",
          {"name": "mx-read-run", "state_type": "COMPLETED", "tags": ["mx-read-tag"]}),
    reads("client reads", "read-flow-runs-by-flow", True),
    reads("client reads", "read-flow-runs-by-state-type", True),
    reads("client reads", "read-flow-runs-by-tag", True),
    reads("client reads", "read-flow-runs-by-name", ["mx-read-run"]),
    reads("client reads", "read-flow-runs-sorted", 2),
    reads("client reads", "count-flow-runs", 2),
    reads("client reads", "read-flow-run-states", RAN_AND_COMPLETED),
    reads("client reads", "read-task-runs-of-flow-run",
          [{"name": containing("noted-"), **COMPLETED}]),
    reads("client reads", "set-flow-run-state", {"status": "ACCEPT"},
          flow_run(state_type="COMPLETED")),
    reads("client reads", "delete-flow-run", present(),
          flow_run_missing()),
    reads("client reads", "create-flow-run", {"state_type": "PENDING"},
          flow_run(state_type="PENDING", tags=["mx-created"])),
]
# fmt: on

#: Every SDK row that passes on Signalbox today.
SDK_ACTIONS: Final[list[Action]] = [
    *FLOWS_AND_TASKS,
    *BEHAVIOURS,
    *STORES,
    *COORDINATION,
    *CLIENT_READS,
]
