"""What bench_automations.py sends: the 100 automations, and the events of its load.

The automations, as the Prefect 3.9.1 client sends them to `POST /api/automations/` (reactive
event triggers, `within` in seconds):

- 5 *probe* automations on a Failed flow run of the flow `bench-alerting` (each matching it
  another way: event name and related flow, state label and related tag, `for_each` on the
  run, state type, a list of flow names), whose action posts to the benchmark's receiver
  (call-webhook, or send-notification through a custom-webhook block) with the event's id in
  the body: these give the latency;
- 1 *sentinel* automation on a Completed task run named `bench-sentinel`, which each load
  client sends last: once every client's sentinel has come back, every event before it has
  been evaluated;
- 94 automations that do nothing or match rarely: 40 on task-run Failed events of tags the
  load never carries, 30 on Completed task runs of names it never uses, 5 counting Completed
  task runs per flow run (thresholds 500 to 1,700 within 60 s), 5 counting Completed flow
  runs of `bench-load` (thresholds 1,000 to 3,000 within 60 to 84 s), 10 on its rare Failed
  runs, 4 on any event of a work pool. So a Completed task run interests 5 automations, a
  Completed flow run 5, a Failed one 10 (one in FAILED_EVERY), a probe 5, anything else none.

The load: each client streams flow runs of the flow `bench-load`, each a Running event, three
task runs (Pending, Running, Completed; bench_events.py's templates) and a Completed event
(Failed for one run in FAILED_EVERY): 11 events, two of them flow-run events shaped as the
server emits them (models/events/flow_run_events.py). The task runs belong to the client's
real flow run (servers with foreign keys accept them); the flow-run events name runs of
their own, which only the triggers read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import uuid4

from bench.bench_events import TEMPLATES
from tests.integration.events import task_run_event

#: Task runs per flow run of the load (3 events each).
TASK_RUNS_PER_FLOW_RUN: Final = 3
#: One flow run of the load in this many ends Failed rather than Completed.
FAILED_EVERY: Final = 500
#: The flow whose Failed runs the probe automations watch, and the tag its runs carry.
ALERTING_FLOW: Final = "bench-alerting"
ALERTING_TAG: Final = "bench-alert"
#: The flow of the load's flow-run events, and the name of the sentinel task runs.
LOAD_FLOW: Final = "bench-load"
SENTINEL_NAME: Final = "bench-sentinel"
#: What the receiver finds in each body it is sent: the triggering event and the automation.
MARKER: Final = "event={{ event.id }} automation=%d"


@dataclass(frozen=True)
class Receivers:
    """The block documents pointing at the benchmark's receiver."""

    webhook_block_id: str  # a `webhook` block (call-webhook)
    notification_block_id: str  # a `custom-webhook` block (send-notification)


def stamp() -> str:
    """Now, as the Prefect client writes `occurred`."""
    return datetime.now(UTC).isoformat()


def flow_run_event(
    flow_run_id: str,
    flow_id: str,
    flow_name: str,
    state_type: str,
    state_name: str,
    tags: list[str],
    event_id: str,
    occurred: str,
) -> dict[str, Any]:
    """A `prefect.flow-run.<State>` event, as a server emits one for a state change."""
    related = [
        {
            "prefect.resource.id": f"prefect.flow.{flow_id}",
            "prefect.resource.role": "flow",
            "prefect.resource.name": flow_name,
        }
    ]
    related += [
        {"prefect.resource.id": f"prefect.tag.{t}", "prefect.resource.role": "tag"} for t in tags
    ]
    return {
        "id": event_id,
        "occurred": occurred,
        "event": f"prefect.flow-run.{state_name}",
        "resource": {
            "prefect.resource.id": f"prefect.flow-run.{flow_run_id}",
            "prefect.resource.name": f"run-{flow_run_id[:8]}",
            "prefect.run-count": "1",
            "prefect.state-message": "",
            "prefect.state-name": state_name,
            "prefect.state-timestamp": occurred,
            "prefect.state-type": state_type,
        },
        "related": related,
        "payload": {
            "intended": {"from": "RUNNING", "to": state_type},
            "initial_state": {"type": "RUNNING", "name": "Running"},
            "validated_state": {"type": state_type, "name": state_name},
        },
        "follows": None,
    }


def load_events(flow_run_id: str, load_flow_id: str) -> Iterator[str]:
    """The endless stream of one load client, as websocket text frames."""
    number = 0
    while True:
        run = str(uuid4())
        yield json.dumps(
            flow_run_event(
                run, load_flow_id, LOAD_FLOW, "RUNNING", "Running", ["bench"], str(uuid4()), stamp()
            )
        )
        for _ in range(TASK_RUNS_PER_FLOW_RUN):
            task_run_id, follows = str(uuid4()), ""
            for template in TEMPLATES:
                event_id = str(uuid4())
                yield template % {
                    "event_id": event_id,
                    "occurred": stamp(),
                    "task_run_id": task_run_id,
                    "flow_run_id": flow_run_id,
                    "dynamic_key": number,
                    "follows": follows,
                }
                follows = event_id
        number += 1
        state = ("FAILED", "Failed") if number % FAILED_EVERY == 0 else ("COMPLETED", "Completed")
        yield json.dumps(
            flow_run_event(run, load_flow_id, LOAD_FLOW, *state, ["bench"], str(uuid4()), stamp())
        )


def sentinel_event(flow_run_id: str, event_id: str, occurred: str) -> str:
    """The last event of a load client: a Completed task run the sentinel automation sees."""
    event = task_run_event(str(uuid4()), flow_run_id, "COMPLETED", "Completed", seconds=0)
    event["id"], event["occurred"] = event_id, occurred
    event["resource"]["prefect.resource.name"] = SENTINEL_NAME
    event["resource"]["prefect.state-timestamp"] = occurred
    return json.dumps(event)


def automation(name: str, trigger: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    """An automation body as the Prefect client's `Automation.create()` sends it."""
    return {
        "name": name,
        "description": "bench_automations.py",
        "enabled": True,
        "tags": ["bench"],
        "trigger": {
            "type": "event",
            "match": {},
            "match_related": {},
            "after": [],
            "expect": [],
            "for_each": [],
            "posture": "Reactive",
            "threshold": 1,
            "within": 0.0,
        }
        | trigger,
        "actions": [action],
        "actions_on_trigger": [],
        "actions_on_resolve": [],
    }


def call_webhook(receivers: Receivers, number: int) -> dict[str, Any]:
    return {
        "type": "call-webhook",
        "block_document_id": receivers.webhook_block_id,
        "payload": MARKER % number,
    }


def send_notification(receivers: Receivers, number: int) -> dict[str, Any]:
    return {
        "type": "send-notification",
        "block_document_id": receivers.notification_block_id,
        "subject": "{{ flow_run.name }} entered {{ event.resource['prefect.state-name'] }}",
        "body": MARKER % number + " run={{ flow_run.name }}",
    }


DO_NOTHING: Final = {"type": "do-nothing"}


def alerting_flow() -> dict[str, str]:
    return {"prefect.resource.role": "flow", "prefect.resource.name": ALERTING_FLOW}


def probe_automations(receivers: Receivers) -> list[dict[str, Any]]:
    """The five automations each Failed run of `bench-alerting` fires, numbered 0 to 4."""
    failed = ["prefect.flow-run.Failed"]
    alert_tag = {
        "prefect.resource.role": "tag",
        "prefect.resource.id": f"prefect.tag.{ALERTING_TAG}",
    }
    triggers: list[dict[str, Any]] = [
        {"expect": failed, "match_related": [alerting_flow()]},
        {
            "expect": ["prefect.flow-run.*"],
            "match": {"prefect.state-name": "Failed"},
            "match_related": [alert_tag],
        },
        {
            "expect": failed,
            "for_each": ["prefect.resource.id"],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": [alert_tag],
        },
        {
            "expect": failed,
            "match": {"prefect.state-type": "FAILED"},
            "match_related": [alerting_flow()],
        },
        {
            "expect": ["prefect.flow-run.Failed", "prefect.flow-run.Crashed"],
            "match_related": [
                {
                    "prefect.resource.role": "flow",
                    "prefect.resource.name": [ALERTING_FLOW, "bench-other"],
                }
            ],
        },
    ]
    actions = [call_webhook, call_webhook, send_notification, send_notification, call_webhook]
    return [
        automation(f"bench-probe-{n}", trigger, action(receivers, n))
        for n, (trigger, action) in enumerate(zip(triggers, actions, strict=True))
    ]


#: The number the sentinel automation puts in its bodies.
SENTINEL_NUMBER: Final = 99


def sentinel_automation(receivers: Receivers) -> dict[str, Any]:
    trigger = {
        "expect": ["prefect.task-run.Completed"],
        "match": {"prefect.resource.name": SENTINEL_NAME},
    }
    return automation("bench-sentinel", trigger, call_webhook(receivers, SENTINEL_NUMBER))


def quiet_automations() -> list[dict[str, Any]]:
    """The 94 that do nothing or match rarely: the evaluation work besides the probes."""
    bodies = []
    for n in range(40):  # event name never sent; tag never carried
        trigger = {
            "expect": ["prefect.task-run.Failed"],
            "match_related": [
                {"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.team-{n}"}
            ],
        }
        bodies.append(automation(f"bench-task-failed-{n}", trigger, DO_NOTHING))
    for n in range(30):  # event name sent; resource name never matches
        trigger = {
            "expect": ["prefect.task-run.Completed"],
            "match": {"prefect.resource.name": f"nightly-{n}-*"},
        }
        bodies.append(automation(f"bench-task-name-{n}", trigger, DO_NOTHING))
    for n in range(5):  # counted per flow run of the task runs
        trigger = {
            "expect": ["prefect.task-run.Completed"],
            "for_each": ["related:flow-run:prefect.resource.id"],
            "threshold": 500 + 300 * n,
            "within": 60.0,
        }
        bodies.append(automation(f"bench-task-count-{n}", trigger, DO_NOTHING))
    load_flow = {"prefect.resource.role": "flow", "prefect.resource.name": LOAD_FLOW}
    for n in range(5):  # Completed runs of the load, counted
        trigger = {
            "expect": ["prefect.flow-run.Completed"],
            "match_related": [load_flow],
            "threshold": 1000 + 500 * n,
            "within": 60.0 + 6 * n,
        }
        bodies.append(automation(f"bench-flow-count-{n}", trigger, DO_NOTHING))
    for n in range(10):  # the load's rare Failed runs
        trigger = {
            "expect": ["prefect.flow-run.Failed"],
            "match_related": [load_flow],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
        }
        bodies.append(automation(f"bench-flow-failed-{n}", trigger, DO_NOTHING))
    for n in range(4):  # any event, of a resource the load never names
        trigger = {"match": {"prefect.resource.id": f"prefect.work-pool.{n}*"}}
        bodies.append(automation(f"bench-work-pool-{n}", trigger, DO_NOTHING))
    return bodies


def all_automations(receivers: Receivers) -> list[dict[str, Any]]:
    """The 100 automations of a run."""
    return [*probe_automations(receivers), sentinel_automation(receivers), *quiet_automations()]
