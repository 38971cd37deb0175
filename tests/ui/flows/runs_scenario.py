"""UI scenario for the runs pages: a flow run with task runs, a subflow, a log line that looks
like markup and an artifact; a flow run that fails; and enough scheduled flow runs to fill
more than one page of the runs list.

Run by the Prefect virtualenv's python (prefect and the stdlib only). Every run's name holds
one token made here, so the tests find their rows on a server other modules share. Prints one
last line `RESULT {json}` with the token and the ids the tests need.
"""

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta

from prefect import flow, get_client, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact
from prefect.states import Scheduled

TOKEN = uuid.uuid4().hex[:10]
#: Scheduled runs made through the client: more than the runs list's page of 50.
SCHEDULED_RUNS = 55
MARKUP_LINE = "payload <script>window.__injected = 1</script> ends"
IDS: dict[str, list[str]] = {"tasks": [], "child": [], "parent": [], "failing": []}


@task(task_run_name="ui-runs-step-{n}")
def step(n: int) -> int:
    IDS["tasks"].append(str(runtime.task_run.id))
    get_run_logger().info("step %s done", n)
    return n * 2


@task
def child_step() -> int:
    return 1


@flow(name="ui-runs-child", flow_run_name=f"ui-runs-{TOKEN}-child")
def child() -> int:
    IDS["child"].append(str(runtime.flow_run.id))
    return child_step()


@flow(name="ui-runs-tasks", flow_run_name=f"ui-runs-{TOKEN}-tasks")
def with_tasks(size: int = 3, label: str = "<b>bold</b>") -> int:
    IDS["parent"].append(str(runtime.flow_run.id))
    logger = get_run_logger()
    logger.info(MARKUP_LINE)
    total = sum(step(n) for n in range(size))
    total += child()
    create_markdown_artifact(markdown=f"# Total\n\n{total}", key=f"ui-runs-{TOKEN}")
    return total


@flow(name="ui-runs-fails", flow_run_name=f"ui-runs-{TOKEN}-fails")
def fails() -> None:
    IDS["failing"].append(str(runtime.flow_run.id))
    logger = get_run_logger()
    logger.info("about to fail")
    logger.error("the failure the page must show")
    raise ValueError("failed on purpose")


@flow(name="ui-runs-waiting")
def waiting() -> None:
    """Never runs: its flow runs are only scheduled."""


def main() -> None:
    with_tasks()
    with contextlib.suppress(ValueError):
        fails()
    later = datetime.now(UTC) + timedelta(days=1)
    scheduled = []
    with get_client(sync_client=True) as client:
        for number in range(SCHEDULED_RUNS):
            run = client.create_flow_run(
                waiting,
                name=f"ui-runs-{TOKEN}-waiting-{number:02d}",
                state=Scheduled(scheduled_time=later + timedelta(minutes=number)),
                tags=["ui-runs", f"batch-{number % 2}"],
            )
            scheduled.append(str(run.id))
    result = {
        "token": TOKEN,
        "flow_run_id": IDS["parent"][0],
        "task_run_ids": IDS["tasks"],
        "child_flow_run_id": IDS["child"][0],
        "failing_flow_run_id": IDS["failing"][0],
        "scheduled_flow_run_ids": scheduled,
        "markup_line": MARKUP_LINE,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
