"""Compat scenario: markdown, table, link, progress and image artifacts from a flow and a task.

Run by the Prefect virtualenv's python. Mirrors the recorded scenario (e), plus a progress
artifact that is updated and an image. Prints `RESULT {json}` with the flow run id, the task
run id, and each artifact as `Artifact.get(key)` read it back.
"""

import json

from prefect import flow, runtime, task
from prefect.artifacts import (
    Artifact,
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

KEYS = ("md-report", "lnk", "tbl", "load", "img")
IDS: dict[str, str] = {}


@task
def tabulate() -> None:
    IDS["task_run_id"] = runtime.task_run.id
    create_table_artifact(
        key="tbl", table=[{"a": 1, "b": 2}, {"a": 3, "b": 4}], description="a table"
    )


@flow(name="compat-artifacts")
def publish() -> str:
    IDS["flow_run_id"] = runtime.flow_run.id
    create_markdown_artifact(key="md-report", markdown="# Hello\n*world*", description="md")
    create_link_artifact(key="lnk", link="https://example.invalid/x", link_text="example")
    tabulate()
    progress = create_progress_artifact(key="load", progress=10.0)
    update_progress_artifact(progress, progress=100.0)
    create_image_artifact(key="img", image_url="https://example.invalid/i.png")
    return "ok"


def read_back(key: str) -> dict[str, object] | None:
    artifact = Artifact.get(key)
    if artifact is None:
        return None
    return {"key": artifact.key, "type": artifact.type, "data": artifact.data}


def main() -> None:
    value, raised = None, None
    try:
        value = publish()
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    result = {
        **IDS,
        "read_back": {key: read_back(key) for key in KEYS},
        "return_value": value,
        "raised": raised,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
