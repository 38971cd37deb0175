"""What the compat tests of automations share: the receiver, the SDK verbs, reading the server.

Automations are made the way a Prefect 3.9.1 user makes them (`Automation(...).create()` in
the SDK, or the `prefect automation` CLI) from `scripts/automations_client.py`, run by the
Prefect virtualenv; their notifications go to a custom webhook block that posts to a
receiver on 127.0.0.1 (the notification tests' stand-in for the real services). The server,
the project folder and the client processes are the deployments package's
(`tests/compat/deployments/harness.py`): the same server kinds, the same `PrefectClient`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

from tests.compat.deployments.harness import (
    REFERENCE_SERVICE_SETTINGS,
    SIGNALBOX_SERVICE_SETTINGS,
    ClientProcess,
    PrefectClient,
    deleted,
    unique,
    wait_for,
)
from tests.compat.expectations import call_api
from tests.compat.prefect_client import parse_result, prefect_python
from tests.integration.notifications.receiver import Received, Receiver

SDK_SCRIPT: Final = Path(__file__).parent / "scripts" / "automations_client.py"

#: The reference server's services, with the automations' services looking every second:
#: proactive triggers are evaluated each second, and stored events (the automations'
#: action events read here) are written within half a second.
REFERENCE_AUTOMATION_SETTINGS: Final = {
    **REFERENCE_SERVICE_SETTINGS,
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "true",
    "PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY": "PT1S",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "0.5",
}

#: Signalbox's services likewise: its defaults already evaluate within a few seconds.
SIGNALBOX_AUTOMATION_SETTINGS: Final = {**SIGNALBOX_SERVICE_SETTINGS}

#: Seconds from a triggering event to its notification at the receiver. Prefect's server
#: acts within a second or two; the bound leaves room for a busy two-core machine.
NOTIFIED_WITHIN_SECONDS: Final = 30.0

#: Where the receiver takes custom webhook posts (it answers 200, as a plain webhook does).
WEBHOOK_PATH: Final = "/custom"


# --- the receiver -------------------------------------------------------------------------


@dataclass
class WebhookReceiver:
    """The notification tests' receiver, served from a thread of its own.

    The tests here are synchronous (they wait on client processes), so the receiver's event
    loop runs beside them; they read what it recorded, which only grows.
    """

    receiver: Receiver
    loop: asyncio.AbstractEventLoop

    @property
    def url(self) -> str:
        return self.receiver.url

    def endpoint(self, label: str) -> str:
        """A path of its own for one block, so each test reads only its messages."""
        return f"{WEBHOOK_PATH}/{unique(label)}"

    def requests_to(self, path: str) -> list[Received]:
        return [request for request in list(self.receiver.received) if request.path == path]

    def bodies(self, path: str) -> list[str]:
        """The rendered bodies posted to `path`, in arrival order."""
        return [request.json()["body"] for request in self.requests_to(path)]

    def subjects(self, path: str) -> list[str]:
        return [request.json()["subject"] for request in self.requests_to(path)]

    def wait_for_bodies(
        self, path: str, count: int, *, timeout: float = NOTIFIED_WITHIN_SECONDS
    ) -> list[str]:
        """The bodies posted to `path` once there are at least `count` of them."""
        return wait_for(
            lambda: self.bodies(path),
            lambda bodies: len(bodies) >= count,
            what=f"{count} message(s) at {path}",
            timeout=timeout,
        )


@contextmanager
def running_receiver() -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1 for as long as the block runs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="receiver", daemon=True)
    thread.start()
    receiver = asyncio.run_coroutine_threadsafe(Receiver().start(), loop).result(timeout=30)
    try:
        yield WebhookReceiver(receiver, loop)
    finally:
        asyncio.run_coroutine_threadsafe(receiver.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


# --- the Prefect SDK --------------------------------------------------------------------------


class AutomationsClient(PrefectClient):
    """The deployments' Prefect client, with the automation verbs of our own script."""

    def sdk(self, verb: str, *args: str, timeout: float = 120.0) -> Any:
        """Run one verb of automations_client.py; the JSON of its RESULT line."""
        done = self.run([str(prefect_python()), str(SDK_SCRIPT), verb, *args], timeout)
        return checked_result(done, verb)

    def start_sdk(self, label: str, verb: str, *args: str) -> ClientProcess:
        """Start a verb of automations_client.py that runs on; stopped by `stop_all`."""
        log_path = self.home / f"{label}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [str(prefect_python()), str(SDK_SCRIPT), verb, *args],
                cwd=self.project,
                env=self.environ(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        started = ClientProcess(process, log_path)
        self.processes.append(started)
        return started

    def webhook_block(self, receiver: WebhookReceiver, path: str) -> str:
        """A custom webhook block posting to `path` of the receiver; its document id."""
        name = unique("compat-webhook")
        saved = self.sdk("save-webhook", name, receiver.url + path)
        return str(saved["block_document_id"])

    def create_automation(self, spec: dict[str, Any]) -> str:
        """Create the automation through the SDK; its id."""
        return str(self.sdk("create", json.dumps(spec))["id"])

    def fail_flow(self, flow_name: str) -> dict[str, Any]:
        """Run a flow of that name that fails; its run's id and name."""
        ran = self.sdk("fail", flow_name)
        assert ran["state"] == "Failed", ran
        return dict(ran)

    def emit(self, events: list[dict[str, Any]]) -> None:
        self.sdk("emit", json.dumps(events))


def checked_result(done: subprocess.CompletedProcess[str], verb: str) -> Any:
    result = parse_result(done.stdout)
    assert result is not None and done.returncode == 0, (
        f"automations_client.py {verb} exited {done.returncode} without a RESULT:\n"
        f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    )
    return result


# --- what automations look like ---------------------------------------------------------------


def flow_named(flow_name: str) -> dict[str, str]:
    """`match_related` for the runs of one flow, by the flow's name."""
    return {"prefect.resource.id": "prefect.flow.*", "prefect.resource.name": flow_name}


def on_failed_flow(flow_name: str) -> dict[str, Any]:
    """A reactive trigger: a run of the flow named `flow_name` entered Failed."""
    return {
        "type": "event",
        "posture": "Reactive",
        "expect": ["prefect.flow-run.Failed"],
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": flow_named(flow_name),
        "threshold": 1,
        "within": 0,
    }


def send_notification(block_document_id: str, body: str, subject: str = "") -> dict[str, Any]:
    return {
        "type": "send-notification",
        "block_document_id": block_document_id,
        "subject": subject or "Signalbox compat",
        "body": body,
    }


def automation(name: str, trigger: dict[str, Any], *actions: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "trigger": trigger, "actions": list(actions)}


# --- reading the server ---------------------------------------------------------------------


def automation_events(api_url: str, automation_id: str, event: str) -> list[dict[str, Any]]:
    """The stored events of that name about the automation (`prefect.automation.<id>`)."""
    body = {
        "filter": {
            "event": {"name": [event]},
            "resource": {"id": [f"prefect.automation.{automation_id}"]},
            "order": "ASC",
        },
        "limit": 50,  # the most a page holds
    }
    return list(call_api(api_url, "POST", "/events/filter", body)["events"])


def finished_actions(api_url: str, automation_id: str) -> dict[int, list[dict[str, Any]]]:
    """The automation's executed and failed actions, by action index."""
    finished: dict[int, list[dict[str, Any]]] = {}
    for name in ("prefect.automation.action.executed", "prefect.automation.action.failed"):
        for event in automation_events(api_url, automation_id, name):
            finished.setdefault(int(event["payload"]["action_index"]), []).append(event)
    return finished


def read_automation(api_url: str, automation_id: str) -> dict[str, Any]:
    return dict(call_api(api_url, "GET", f"/automations/{automation_id}"))


def delete_automations(api_url: str) -> None:
    """Delete every automation on the server, so that none acts during a later test."""
    for found in call_api(api_url, "POST", "/automations/filter", {}):
        path = f"/automations/{found['id']}"
        wait_for(partial(deleted, api_url, path), bool, what=f"DELETE {path}", timeout=30)
