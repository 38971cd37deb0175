"""UI scenario for the artifact pages: a flow that publishes every kind, some of it hostile.

Run by the Prefect virtualenv's python. The flow publishes two versions of a markdown key (the
second with a script, a javascript: link, an onerror attribute and a table), a table whose
cells hold HTML, a link and a progress artifact. Prints `RESULT {json}` with the flow run id
and each artifact's id.
"""

import json

from prefect import flow, runtime
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)

MARKDOWN = """# ui-blocks report

<script>window.uiBlocksScriptRan = true;</script>

[a trap](javascript:alert("link ran")) and [the docs](https://docs.prefect.io/)

<img src="x" onerror="alert('onerror ran')">

| stage | result |
|-------|--------|
| extract | <b>ok</b> |
| load | done |
"""


@flow(name="ui-blocks-artifacts")
def publish() -> dict[str, str]:
    ids = {"flow_run_id": str(runtime.flow_run.id)}
    ids["first_markdown"] = str(
        create_markdown_artifact(key="ui-blocks-report", markdown="# first", description="v1")
    )
    ids["markdown"] = str(
        create_markdown_artifact(
            key="ui-blocks-report", markdown=MARKDOWN, description="ui-blocks markdown"
        )
    )
    ids["table"] = str(
        create_table_artifact(
            key="ui-blocks-table",
            table=[{"name": "<i>alpha</i>", "count": 1}, {"name": "beta", "count": 2}],
            description="ui-blocks table",
        )
    )
    ids["link"] = str(
        create_link_artifact(
            key="ui-blocks-link", link="https://example.invalid/report", link_text="the report"
        )
    )
    ids["progress"] = str(create_progress_artifact(progress=42.0, key="ui-blocks-progress"))
    return ids


def main() -> None:
    print("RESULT " + json.dumps(publish()), flush=True)


if __name__ == "__main__":
    main()
