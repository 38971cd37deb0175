"""Reads of the server the matrix rows share: a flow run, its task runs, logs, states."""

from __future__ import annotations

from typing import Any

from tests.compat.matrix.rows import Read

#: Filter bodies naming the flow run the client reported.
OF_FLOW_RUN: dict[str, Any] = {"flow_run_id": {"any_": ["{flow_run_id}"]}}


def flow_run(**expect: Any) -> Read:
    """The flow run the client reported."""
    return Read("/flow_runs/{flow_run_id}", expect)


def flow_run_history(expect: Any) -> Read:
    """The flow run's state types, oldest first."""
    return Read("/flow_run_states/?flow_run_id={flow_run_id}", expect)


def task_runs(expect: Any) -> Read:
    """The task runs of the flow run the client reported."""
    return Read("/task_runs/filter", expect, "POST", {"task_runs": OF_FLOW_RUN})


def child_runs(expect: Any) -> Read:
    """The flow runs whose parent task run belongs to the reported flow run."""
    body = {"flow_runs": {"parent_flow_run_id": {"any_": ["{flow_run_id}"]}}}
    return Read("/flow_runs/filter", expect, "POST", body)


def logs(expect: Any) -> Read:
    """The log lines of the flow run the client reported."""
    return Read("/logs/filter", expect, "POST", {"logs": OF_FLOW_RUN})


def variable(name: str, expect: Any = None, status: int = 200) -> Read:
    return Read(f"/variables/name/{name}", expect, status=status)


def artifact(key: str, expect: Any = None, status: int = 200) -> Read:
    return Read(f"/artifacts/{key}/latest", expect, status=status)


def artifacts_of_flow_run(expect: Any) -> Read:
    body = {"flow_runs": {"id": {"any_": ["{flow_run_id}"]}}}
    return Read("/artifacts/filter", expect, "POST", body)


def block(type_slug: str, name: str, expect: Any = None, status: int = 200) -> Read:
    path = f"/block_types/slug/{type_slug}/block_documents/name/{name}"
    return Read(path, expect, status=status)


def tag_limit(tag: str, expect: Any = None, status: int = 200) -> Read:
    return Read(f"/concurrency_limits/tag/{tag}", expect, status=status)


def global_limit(name: str, expect: Any = None, status: int = 200) -> Read:
    return Read(f"/v2/concurrency_limits/{name}", expect, status=status)


def events(name: str, expect: Any) -> Read:
    """The stored events called `name`."""
    return Read("/events/filter", expect, "POST", {"filter": {"event": {"name": [name]}}})
