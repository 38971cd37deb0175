"""Compat script: what a Prefect 3.9.1 user does around automations, one verb per run.

Run by the Prefect virtualenv's python in the test's project folder; prints one last line
`RESULT {json}`.

- `save-webhook <block name> <url>`: save a custom webhook notification block posting
  `{"subject": ..., "body": ...}` to `url`; RESULT holds its block document id.
- `create <automation as JSON>`: create the automation through the SDK
  (`prefect.automations.Automation(...).create()`); RESULT holds its id.
- `emit <events as JSON>`: emit each event (`emit_event`, explicit ids) and wait until the
  client's events worker has sent them all.
- `fail <flow name>`: run a flow of that name that raises; RESULT holds its run id and name.
- `sleep <flow name> <seconds> <marker file>`: run a flow of that name that writes
  `started <flow run id>` to the marker file, then sleeps.
- `run-deployment <flow>/<deployment> <tag> <parameters as JSON>`: create one flow run of
  the deployment carrying the tag, without waiting for it.
"""

import json
import sys
import time
from collections.abc import Callable
from uuid import UUID

from prefect import flow, get_client, runtime
from prefect.automations import Automation
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.events import emit_event
from prefect.events.worker import EventsWorker


def result(value: dict) -> None:
    print("RESULT " + json.dumps(value), flush=True)


def save_webhook(block_name: str, url: str) -> None:
    block = CustomWebhookNotificationBlock(
        name=block_name, url=url, json_data={"subject": "{{subject}}", "body": "{{body}}"}
    )
    result({"block_document_id": str(block.save(block_name, overwrite=True))})


def create(spec: str) -> None:
    automation = Automation.model_validate(json.loads(spec)).create()
    result({"id": str(automation.id)})


def emit(specs: str) -> None:
    for event in json.loads(specs):
        emit_event(**{**event, "id": UUID(event["id"])})
    EventsWorker.drain_all()
    result({"emitted": len(json.loads(specs))})


def fail(flow_name: str) -> None:
    @flow(name=flow_name)
    def raises() -> None:
        raise ValueError(f"{flow_name} failed on purpose")

    state = raises(return_state=True)
    run_id = str(state.state_details.flow_run_id)
    with get_client(sync_client=True) as client:
        name = client.read_flow_run(UUID(run_id)).name
    result({"flow_run_id": run_id, "flow_run_name": name, "state": state.name})


def sleep(flow_name: str, seconds: str, marker: str) -> None:
    @flow(name=flow_name)
    def sleeps() -> None:
        with open(marker, "a") as lines:
            lines.write(f"started {runtime.flow_run.id}\n")
        time.sleep(float(seconds))

    state = sleeps(return_state=True)
    result({"state": state.name})


def run_deployment(name: str, tag: str, parameters: str) -> None:
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters=json.loads(parameters), tags=[tag]
        )
    result({"flow_run_id": str(run.id)})


VERBS: dict[str, Callable[..., None]] = {
    "save-webhook": save_webhook,
    "create": create,
    "emit": emit,
    "fail": fail,
    "sleep": sleep,
    "run-deployment": run_deployment,
}

if __name__ == "__main__":
    VERBS[sys.argv[1]](*sys.argv[2:])
