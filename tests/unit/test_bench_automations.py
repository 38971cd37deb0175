"""bench_automations.py's load and receiver: the events it streams, the automations it
creates, and that the receiver reads back what the actions' templates render."""

from __future__ import annotations

import json
from itertools import islice
from uuid import uuid4

import aiohttp

from bench.automation_clients import Receiver
from bench.automation_load import (
    FAILED_EVERY,
    MARKER,
    SENTINEL_NAME,
    TASK_RUNS_PER_FLOW_RUN,
    Receivers,
    all_automations,
    load_events,
    sentinel_event,
)

FRAMES_PER_FLOW_RUN = 2 + 3 * TASK_RUNS_PER_FLOW_RUN


def test_a_load_flow_run_is_running_then_task_runs_in_order_then_completed() -> None:
    client_run, load_flow = str(uuid4()), str(uuid4())
    events = [json.loads(frame) for frame in islice(load_events(client_run, load_flow), 11)]

    names = [event["event"] for event in events]
    assert names == [
        "prefect.flow-run.Running",
        *["prefect.task-run.Pending", "prefect.task-run.Running", "prefect.task-run.Completed"]
        * TASK_RUNS_PER_FLOW_RUN,
        "prefect.flow-run.Completed",
    ]
    assert (
        events[0]["resource"]["prefect.resource.id"]
        == events[-1]["resource"]["prefect.resource.id"]
    )
    assert {
        "prefect.resource.id": f"prefect.flow.{load_flow}",
        "prefect.resource.role": "flow",
        "prefect.resource.name": "bench-load",
    } in events[0]["related"]
    for first in (1, 4, 7):  # each task run's events follow one another, in its client's run
        pending, running, completed = events[first : first + 3]
        assert running["follows"] == pending["id"] and completed["follows"] == running["id"]
        related = pending["related"][0]["prefect.resource.id"]
        assert related == f"prefect.flow-run.{client_run}"
    assert len({event["id"] for event in events}) == len(events)


def test_one_load_flow_run_in_failed_every_ends_failed() -> None:
    frames = islice(load_events(str(uuid4()), str(uuid4())), FRAMES_PER_FLOW_RUN * FAILED_EVERY)
    ends = [
        json.loads(frame)["event"]
        for n, frame in enumerate(frames)
        if n % FRAMES_PER_FLOW_RUN == FRAMES_PER_FLOW_RUN - 1
    ]
    assert ends[:-1] == ["prefect.flow-run.Completed"] * (FAILED_EVERY - 1)
    assert ends[-1] == "prefect.flow-run.Failed"


def test_the_hundred_automations_call_the_receiver_only_from_probes_and_the_sentinel() -> None:
    receivers = Receivers(str(uuid4()), str(uuid4()))
    bodies = all_automations(receivers)

    assert len(bodies) == 100
    assert len({body["name"] for body in bodies}) == 100
    calling = [body for body in bodies if body["actions"][0]["type"] != "do-nothing"]
    assert [body["name"] for body in calling] == [
        *(f"bench-probe-{n}" for n in range(5)),
        "bench-sentinel",
    ]
    blocks = {body["actions"][0]["block_document_id"] for body in calling}
    assert blocks == {receivers.webhook_block_id, receivers.notification_block_id}
    thresholds = [body["trigger"]["threshold"] for body in bodies]
    assert sum(threshold > 1 for threshold in thresholds) == 10
    assert all(body["trigger"]["posture"] == "Reactive" for body in bodies)


def test_the_sentinel_is_a_completed_task_run_of_its_name() -> None:
    event = json.loads(sentinel_event(str(uuid4()), "e1", "2026-12-07T08:00:00+00:00"))
    assert event["event"] == "prefect.task-run.Completed"
    assert event["resource"]["prefect.resource.name"] == SENTINEL_NAME
    assert (event["id"], event["occurred"]) == ("e1", "2026-12-07T08:00:00+00:00")


async def test_the_receiver_reads_the_rendered_marker_from_any_body() -> None:
    receiver = Receiver()
    runner = await receiver.start()
    event_id = str(uuid4())
    rendered = (MARKER % 3).replace("{{ event.id }}", event_id)
    try:
        async with aiohttp.ClientSession() as http:
            # As a custom-webhook notification posts it, then as a call-webhook payload.
            for body in (json.dumps({"text": f"{rendered} run=x"}), rendered, "no marker"):
                async with http.post(f"{receiver.url}/hook", data=body) as answer:
                    assert answer.status == 200
    finally:
        await runner.cleanup()

    assert list(receiver.arrivals) == [(event_id, 3)]
    assert len(receiver.arrivals[(event_id, 3)]) == 2
    assert receiver.unreadable == 1
    assert receiver.first(event_id, 3) == min(receiver.arrivals[(event_id, 3)])
