"""Automations in words: the sentences the automation pages show for triggers and actions."""

from __future__ import annotations

from uuid import uuid4

from api.ui.automation_text import action_text, actions_text, trigger_text
from tests.automation_bodies import CLIENT_TRIGGER, automation_body


def test_a_reactive_trigger_names_its_events_and_resources() -> None:
    assert trigger_text(CLIENT_TRIGGER) == (
        "When prefect.flow-run.Failed happens for prefect.resource.id=prefect.flow-run.*"
    )


def test_a_threshold_window_and_grouping_are_said() -> None:
    trigger = {
        **CLIENT_TRIGGER,
        "threshold": 3,
        "within": 300.0,
        "for_each": ["prefect.resource.id"],
        "expect": ["prefect.flow-run.Crashed", "prefect.flow-run.Failed"],
    }
    assert trigger_text(trigger) == (
        "When 3 of prefect.flow-run.Crashed or prefect.flow-run.Failed happen within 5 min "
        "for prefect.resource.id=prefect.flow-run.*, for each prefect.resource.id"
    )


def test_a_proactive_trigger_says_what_did_not_happen() -> None:
    trigger = {
        "type": "event",
        "posture": "Proactive",
        "expect": ["prefect.flow-run.Completed"],
        "match": {},
        "threshold": 1,
        "within": 3600,
        "after": ["prefect.flow-run.Running"],
    }
    assert trigger_text(trigger) == (
        "When prefect.flow-run.Completed does not happen within 1 h, after prefect.flow-run.Running"
    )
    assert trigger_text({**trigger, "threshold": 2, "after": []}) == (
        "When fewer than 2 of prefect.flow-run.Completed happen within 1 h"
    )


def test_composite_triggers_name_each_of_theirs() -> None:
    compound = {"type": "compound", "require": "all", "within": 60,
                "triggers": [CLIENT_TRIGGER, {**CLIENT_TRIGGER, "match": {}}]}  # fmt: skip
    assert trigger_text(compound) == (
        "When all of 2 triggers fire within 1 min: (When prefect.flow-run.Failed happens for "
        "prefect.resource.id=prefect.flow-run.*); (When prefect.flow-run.Failed happens)"
    )
    sequence = {"type": "sequence", "within": None, "triggers": [{**CLIENT_TRIGGER, "match": {}}]}
    assert trigger_text(sequence) == (
        "When 1 triggers fire in order: (When prefect.flow-run.Failed happens)"
    )


def test_actions_name_what_they_act_on() -> None:
    deployment_id, block_id = uuid4(), uuid4()
    run = {"type": "run-deployment", "source": "selected", "deployment_id": str(deployment_id)}
    assert action_text(run) == f"Run deployment {deployment_id}"
    assert action_text({"type": "pause-work-pool", "source": "inferred", "work_pool_id": None}) == (
        "Pause the work pool of the triggering event"
    )
    assert action_text({"type": "change-flow-run-state", "state": "FAILED", "name": "Stuck"}) == (
        "Set the flow run's state to FAILED (Stuck)"
    )
    assert action_text({"type": "send-notification", "block_document_id": str(block_id),
                        "subject": "Run failed", "body": "…"}) == (
        f"Send “Run failed” through block {block_id}"
    )  # fmt: skip
    assert action_text({"type": "a-future-action"}) == "A a-future-action action"


def test_every_list_of_actions_is_said_and_told_apart() -> None:
    body = automation_body(
        actions_on_trigger=[{"type": "cancel-flow-run"}],
        actions_on_resolve=[{"type": "resume-flow-run"}],
    )
    assert actions_text(body) == [
        "Do nothing",
        "On trigger: Cancel the flow run",
        "On resolve: Resume the flow run",
    ]
