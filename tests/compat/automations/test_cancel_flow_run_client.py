"""A cancel-flow-run action (source inferred) made with the Prefect 3.9.1 SDK ends the tagged
run whose Running state fired it CANCELLED, through the process serving it; a run without
the tag keeps running."""

from __future__ import annotations

import json
from typing import Final

import pytest

from tests.compat.automations.harness import AutomationsClient, automation
from tests.compat.deployments.harness import (
    read_flow_run,
    served,
    state_history,
    unique,
    wait_for,
)
from tests.compat.prefect_client import RunningServer

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

FLOW: Final = "compat-sleep-then-mark"
#: Seconds from the run's Running state to CANCELLED: the firing, the action, then the
#: served process hears of CANCELLING on its events socket and kills the flow's process.
CANCELLED_WITHIN_SECONDS: Final = 45.0


def cancel_tagged_runs(tag: str) -> dict[str, object]:
    return automation(
        unique("canceller"),
        {
            "type": "event",
            "posture": "Reactive",
            "expect": ["prefect.flow-run.Running"],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": {
                "prefect.resource.id": f"prefect.tag.{tag}",
                "prefect.resource.role": "tag",
            },
            "threshold": 1,
            "within": 0,
        },
        {"type": "cancel-flow-run", "source": "inferred"},
    )


def test_a_cancel_flow_run_action_ends_a_tagged_run_cancelled(
    server: RunningServer, client: AutomationsClient
) -> None:
    tag = unique("cancel-me")
    client.create_automation(cancel_tagged_runs(tag))
    marker = client.project / "marks.txt"
    parameters = {"marker": str(marker), "seconds": 120}
    deployment = served(client, "sleep_then_mark", {"parameters": parameters})
    name = f"{FLOW}/{deployment['name']}"

    untagged = client.sdk("run-deployment", name, unique("other-tag"), json.dumps(parameters))
    wait_for(
        lambda: marker.read_text() if marker.exists() else "",
        lambda text: f"started {untagged['flow_run_id']}" in text,
        what="the untagged run started",
        timeout=120,
        watch=client,
    )
    tagged = client.sdk("run-deployment", name, tag, json.dumps(parameters))["flow_run_id"]

    run = wait_for(
        lambda: read_flow_run(client.api_url, tagged),
        lambda run: run["state"]["type"] == "CANCELLED",
        what="the tagged run cancelled",
        timeout=CANCELLED_WITHIN_SECONDS + 90,  # the served process starts the run first
        watch=client,
    )
    types = [state["type"] for state in state_history(client.api_url, tagged)]
    assert types[-3:] == ["RUNNING", "CANCELLING", "CANCELLED"], types
    assert run["end_time"] is not None
    assert f"finished {tagged}" not in marker.read_text()
    other = read_flow_run(client.api_url, untagged["flow_run_id"])
    assert other["state"]["type"] == "RUNNING", other["state"]
