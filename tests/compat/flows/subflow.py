"""Compat scenario: a parent flow calls a child flow twice; each child runs one task.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Prints one last line
`RESULT {json}` with the parent's and the children's flow run ids, the placeholder task run
id each child saw as its parent, the children's task run ids and the return value.
"""

import json

from prefect import flow, runtime, task
from prefect.context import FlowRunContext

PARENT_FLOW_RUN_IDS: list[str] = []
#: One entry per child flow run: {"flow_run_id", "parent_task_run_id", "task_run_id"}.
CHILDREN: list[dict[str, str | None]] = []


@task
def increment(x: int) -> int:
    """Return x + 1, remembering the task run id for the child that called it."""
    CHILDREN[-1]["task_run_id"] = runtime.task_run.id
    return x + 1


@flow(name="compat-subflow-child")
def child(x: int) -> int:
    """Run one task in a child flow run."""
    context = FlowRunContext.get()
    parent_task_run_id = context.flow_run.parent_task_run_id if context else None
    CHILDREN.append(
        {
            "flow_run_id": runtime.flow_run.id,
            "parent_task_run_id": str(parent_task_run_id) if parent_task_run_id else None,
        }
    )
    return increment(x)


@flow(name="compat-subflow-parent")
def parent() -> int:
    """Call the child flow twice, feeding the first result to the second (returns 3)."""
    PARENT_FLOW_RUN_IDS.append(runtime.flow_run.id)
    first = child(1)
    return child(first)


def main() -> None:
    """Run the parent flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = parent()
    except Exception as exc:
        raised = type(exc).__name__
    result = {
        "flow_run_id": PARENT_FLOW_RUN_IDS[0] if PARENT_FLOW_RUN_IDS else None,
        # The parent's task runs are the subflow placeholders, named after the child flow.
        "task_runs": [
            {"task": "compat-subflow-child", "id": c["parent_task_run_id"]} for c in CHILDREN
        ],
        "children": CHILDREN,
    }
    print("RESULT " + json.dumps({**result, "return_value": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
