"""A proactive trigger made with the Prefect 3.9.1 SDK fires when the event it expects does
not come: a run that started and has not completed within its window is reported while it
is still running."""

from __future__ import annotations

from typing import Final

import pytest

from tests.compat.automations.harness import (
    AutomationsClient,
    WebhookReceiver,
    automation,
    flow_named,
    send_notification,
)
from tests.compat.deployments.harness import read_flow_run, unique, wait_for, when
from tests.compat.prefect_client import RunningServer

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

#: The trigger's window: the shortest Prefect accepts for a proactive trigger.
WINDOW_SECONDS: Final = 10
#: How long the flow sleeps: far past the window and the wait for the message.
FLOW_SECONDS: Final = 120
#: Seconds the message may take after the window closes (the clock's period, the delivery).
REPORTED_WITHIN_SECONDS: Final = 45.0


def overdue_trigger(flow_name: str) -> dict[str, object]:
    """Each run of the flow that entered Running must complete within the window."""
    return {
        "type": "event",
        "posture": "Proactive",
        "after": ["prefect.flow-run.Running"],
        "expect": ["prefect.flow-run.Completed"],
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": flow_named(flow_name),
        "for_each": ["prefect.resource.id"],
        "threshold": 1,
        "within": WINDOW_SECONDS,
    }


def test_a_proactive_trigger_fires_while_the_run_is_still_running(
    server: RunningServer, client: AutomationsClient, receiver: WebhookReceiver
) -> None:
    flow_name = unique("compat-slow")
    path = receiver.endpoint("overdue")
    block = client.webhook_block(receiver, path)
    body = "{{ flow.name }} has not completed"
    client.create_automation(
        automation(unique("overdue"), overdue_trigger(flow_name), send_notification(block, body))
    )
    marker = client.project / "marks.txt"
    client.start_sdk("slow-flow", "sleep", flow_name, str(FLOW_SECONDS), str(marker))
    started = wait_for(
        lambda: marker.read_text() if marker.exists() else "",
        lambda text: text.startswith("started "),
        what="the flow started",
        timeout=120,
        watch=client,
    )
    flow_run_id = started.split()[1]

    assert receiver.wait_for_bodies(path, 1, timeout=WINDOW_SECONDS + REPORTED_WITHIN_SECONDS) == [
        f"{flow_name} has not completed"
    ]
    [message] = receiver.requests_to(path)
    run = read_flow_run(client.api_url, flow_run_id)
    assert run["state"]["type"] == "RUNNING", run["state"]
    # The trigger waited for its window, counted from the run's Running state.
    assert message.wall - when(run["start_time"]).timestamp() >= WINDOW_SECONDS
    client.assert_running()  # the flow still sleeps
