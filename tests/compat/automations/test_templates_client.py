"""Templates that try to reach Python's internals from an action made with the Prefect 3.9.1
SDK render none of them: the receiver gets no class list, no module, no function globals.

Each escape is one send-notification action of an automation whose last action is a plain
one: once every action has a stored outcome (`prefect.automation.action.executed` or
`.failed`) and the plain message arrived, what the receiver holds is all it will get.

Either outcome is safe, and both are seen on Prefect 3.9.1's server (a sandboxed Jinja
environment where an unsafe attribute is undefined): reading one renders empty (B, C, D, F
send a message holding only their letter), while calling or iterating what it gave is a
security error, and the action fails with the reason "Template rendering failed:
SecurityError(...)" and sends nothing (A, E, G).
"""

from __future__ import annotations

from typing import Final

import pytest

from tests.compat.automations.harness import (
    AutomationsClient,
    WebhookReceiver,
    automation,
    finished_actions,
    on_failed_flow,
    send_notification,
)
from tests.compat.deployments.harness import unique, wait_for
from tests.compat.prefect_client import RunningServer

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

ESCAPES: Final = (
    "A{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "B{{ cycler.__init__.__globals__.os }}",
    "C{{ flow_run.__class__.__init__.__globals__ }}",
    "D{{ ().__class__.__base__ }}",
    "E{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "F{{ self._TemplateReference__context }}",
    "G{{ lipsum.__globals__['os'].popen('id').read() }}",
)

#: What a message must never hold: Python's reprs of classes, modules, functions, globals.
INTERNALS: Final = ("<class", "subclasses", "<module", "<function", "__builtins__", "uid=")


def test_templates_that_try_to_escape_the_sandbox_render_nothing_of_python(
    server: RunningServer, client: AutomationsClient, receiver: WebhookReceiver
) -> None:
    flow_name = unique("compat-escape")
    path = receiver.endpoint("escape")
    block = client.webhook_block(receiver, path)
    actions = [send_notification(block, escape) for escape in ESCAPES]
    plain = send_notification(block, "plain {{ flow_run.name }}")
    automation_id = client.create_automation(
        automation(unique("escapes"), on_failed_flow(flow_name), *actions, plain)
    )

    failed = client.fail_flow(flow_name)
    outcomes = wait_for(
        lambda: finished_actions(client.api_url, automation_id),
        lambda finished: len(finished) == len(ESCAPES) + 1,
        what="an outcome for every action",
        timeout=60,
    )
    assert f"plain {failed['flow_run_name']}" in receiver.wait_for_bodies(path, 1)
    bodies = receiver.bodies(path)
    for body in bodies:
        assert not any(internal in body for internal in INTERNALS), body
    for index, escape in enumerate(ESCAPES):
        [outcome] = outcomes[index]
        if outcome["event"] == "prefect.automation.action.failed":
            assert outcome["payload"]["reason"], outcome
            assert not any(body.startswith(escape[0]) for body in bodies), (escape, bodies)
        else:  # rendered, with nothing where the escape was
            assert escape[0] in bodies, (escape, bodies)
