"""Reactive triggers made with the Prefect 3.9.1 SDK and CLI notify through a webhook block.

A flow run that enters Failed sets off the automation that expects it, which sends exactly
one message whose body is its Jinja template rendered with the run's objects; a run of
another flow sets off nothing; an automation created with `prefect automation create
--from-file` and paused with `prefect automation pause` sends nothing until it is resumed.
Absence is shown by a later message that did arrive (a second automation's), never by
waiting a while.
"""

from __future__ import annotations

import json
import re
from typing import Final

import pytest

from tests.compat.automations.harness import (
    AutomationsClient,
    WebhookReceiver,
    automation,
    automation_events,
    on_failed_flow,
    read_automation,
    send_notification,
)
from tests.compat.deployments.harness import unique, wait_for
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

TEMPLATE: Final = "Flow {{ flow.name }} run {{ flow_run.name }} entered {{ flow_run.state.name }}"
TRIGGERED: Final = "prefect.automation.triggered"
UUID_TEXT: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def marker_automation(
    client: AutomationsClient, receiver: WebhookReceiver, flow_name: str
) -> tuple[str, str]:
    """A second automation on the same flow's failures, posting to a path of its own.

    Its message shows that the event was evaluated, so the other automation's silence on
    the same event is an answer and not a delay. Returns its id and its path.
    """
    path = receiver.endpoint("marker")
    block = client.webhook_block(receiver, path)
    spec = automation(
        unique("marker"),
        on_failed_flow(flow_name),
        send_notification(block, "marker {{ flow_run.name }}"),
    )
    return client.create_automation(spec), path


def test_a_failed_flow_sends_one_rendered_message_and_another_flow_none(
    server: RunningServer, client: AutomationsClient, receiver: WebhookReceiver
) -> None:
    flow_name, other_flow = unique("compat-fails"), unique("compat-other")
    path = receiver.endpoint("failed")
    block = client.webhook_block(receiver, path)
    watched = client.create_automation(
        automation(
            unique("on-failed"),
            on_failed_flow(flow_name),
            send_notification(block, TEMPLATE, subject="{{ flow.name }} failed"),
        )
    )
    marker, marker_path = marker_automation(client, receiver, other_flow)

    other = client.fail_flow(other_flow)
    failed = client.fail_flow(flow_name)

    [body] = receiver.wait_for_bodies(path, 1)
    assert body == f"Flow {flow_name} run {failed['flow_run_name']} entered Failed"
    assert receiver.subjects(path) == [f"{flow_name} failed"]
    assert receiver.wait_for_bodies(marker_path, 1) == [f"marker {other['flow_run_name']}"]
    # Both firings are stored events once the marker's is: the watched automation fired
    # once, for its own flow's run only.
    wait_for(
        lambda: automation_events(client.api_url, marker, TRIGGERED),
        lambda events: len(events) == 1,
        what="the marker automation's triggered event",
        timeout=30,
    )
    [fired] = automation_events(client.api_url, watched, TRIGGERED)
    triggering = fired["payload"]["triggering_event"]["resource"]["prefect.resource.id"]
    assert triggering == f"prefect.flow-run.{failed['flow_run_id']}"
    assert receiver.bodies(path) == [body]


def test_a_paused_automation_sends_nothing_until_it_is_resumed(
    server: RunningServer, client: AutomationsClient, receiver: WebhookReceiver
) -> None:
    flow_name = unique("compat-paused")
    path = receiver.endpoint("paused")
    block = client.webhook_block(receiver, path)
    name = unique("pausable")
    spec = automation(
        name, on_failed_flow(flow_name), send_notification(block, "{{ flow_run.name }}")
    )
    spec_file = client.project / "pausable.json"
    spec_file.write_text(json.dumps(spec))
    created = client.cli("automation", "create", "--from-file", str(spec_file))
    [paused] = [
        word.strip(".'") for word in created.split() if UUID_TEXT.fullmatch(word.strip(".'"))
    ]
    _, marker_path = marker_automation(client, receiver, flow_name)

    client.cli("automation", "pause", name)
    assert read_automation(client.api_url, paused)["enabled"] is False
    first = client.fail_flow(flow_name)
    assert receiver.wait_for_bodies(marker_path, 1) == [f"marker {first['flow_run_name']}"]

    client.cli("automation", "resume", name)
    assert read_automation(client.api_url, paused)["enabled"] is True
    second = client.fail_flow(flow_name)
    assert receiver.wait_for_bodies(marker_path, 2)[1] == f"marker {second['flow_run_name']}"
    assert receiver.wait_for_bodies(path, 1) == [second["flow_run_name"]]
