"""Automation bodies: triggers, actions and the automation around them, as Prefect 3 sends
them and as its server refuses them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from models.schemas.automation_actions import (
    CallWebhook,
    ChangeFlowRunState,
    RunDeployment,
    SendNotification,
    parse_action,
)
from models.schemas.automation_triggers import (
    CompoundTrigger,
    EventTrigger,
    Posture,
    ResourceSpecification,
    SequenceTrigger,
    label_matches,
    parse_trigger,
)
from models.schemas.automations import (
    AutomationCreate,
    AutomationPartialUpdate,
    AutomationResponse,
)
from models.states import StateType

#: What `Automation(...).model_dump(mode="json")` of the 3.9.1 client sends (id left out).
CLIENT_AUTOMATION: dict[str, Any] = {
    "name": "failed flows",
    "description": "",
    "enabled": True,
    "tags": [],
    "trigger": {
        "type": "event",
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": {},
        "after": [],
        "expect": ["prefect.flow-run.Failed"],
        "for_each": [],
        "posture": "Reactive",
        "threshold": 1,
        "within": 30.0,
    },
    "actions": [
        {
            "type": "send-notification",
            "block_document_id": "187b6c2f-680f-43ac-ba43-f1ec7937bf06",
            "subject": "Prefect automated notification",
            "body": "{{ flow.name }} failed",
        },
        {"type": "cancel-flow-run"},
    ],
    "actions_on_trigger": [],
    "actions_on_resolve": [],
    "owner_resource": None,
}


def errors_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return json.dumps(caught.value.errors(include_url=False, include_context=False), default=str)


def test_what_the_client_sends_round_trips_with_durations_in_seconds() -> None:
    automation = AutomationCreate.model_validate(CLIENT_AUTOMATION)
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.within == timedelta(seconds=30)
    assert trigger.posture is Posture.Reactive
    dumped = automation.columns()
    assert dumped["trigger"]["within"] == 30.0
    assert dumped["trigger"]["id"] == str(trigger.id)  # the server gives each trigger an id
    assert dumped["actions"][1] == {"type": "cancel-flow-run"}
    assert "owner_resource" not in dumped


def test_a_trigger_keeps_the_id_it_was_stored_with() -> None:
    stored = AutomationCreate.model_validate(CLIENT_AUTOMATION).columns()["trigger"]
    assert parse_trigger(stored).model_dump(mode="json") == stored


def test_a_trigger_without_a_type_is_an_event_trigger() -> None:
    assert isinstance(parse_trigger({"posture": "Reactive"}), EventTrigger)


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"type": "event", "posture": "Sideways"}, "posture"),
        ({"type": "event", "posture": "Metric"}, "posture"),
        ({"type": "metric", "posture": "Metric", "metric": {}}, "metric"),
        ({"type": "event", "posture": "Reactive", "within": -1}, "within"),
        ({"type": "event", "posture": "Reactive", "within": None}, "within"),
        ({"type": "event", "posture": "Proactive", "within": 5}, "within"),
        ({"type": "event"}, "posture"),
        ({"type": "compound", "require": 3, "within": None, "triggers": []}, "require"),
        ({"type": "compound", "require": 0, "within": None, "triggers": []}, "require"),
        ({"type": "compound", "require": "some", "within": None, "triggers": []}, "require"),
        ({"type": "sequence", "triggers": []}, "within"),
    ],
)
def test_a_trigger_prefects_server_refuses_is_refused_naming_the_field(
    trigger: dict[str, Any], field: str
) -> None:
    body = {**CLIENT_AUTOMATION, "trigger": trigger}
    assert field in errors_of(AutomationCreate.model_validate, body)


def test_a_proactive_trigger_waits_ten_seconds_at_least() -> None:
    trigger = parse_trigger({"posture": "Proactive", "expect": ["prefect.flow-run.Completed"]})
    assert isinstance(trigger, EventTrigger)
    assert trigger.within == timedelta(seconds=10)
    longer = parse_trigger({"posture": "Proactive", "within": "PT1H"})
    assert isinstance(longer, EventTrigger)
    assert longer.within == timedelta(hours=1)


def test_compound_and_sequence_triggers_hold_triggers_of_any_type() -> None:
    trigger = parse_trigger(
        {
            "type": "compound",
            "require": "all",
            "within": 60,
            "triggers": [
                {"type": "event", "posture": "Reactive", "expect": ["a"]},
                {"type": "sequence", "within": None, "triggers": [{"posture": "Reactive"}]},
            ],
        }
    )
    assert isinstance(trigger, CompoundTrigger)
    assert trigger.required_firings == 2
    assert isinstance(trigger.triggers[1], SequenceTrigger)
    assert len(trigger.all_triggers()) == 4
    assert len({t.id for t in trigger.all_triggers()}) == 4


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("prefect.flow-run.*", "prefect.flow-run.123", True),
        ("prefect.flow-run.*", "prefect.task-run.123", False),
        ("!prefect.flow-run.*", "prefect.task-run.123", True),
        ("!prefect.flow-run.*", "prefect.flow-run.123", False),
        ("exact", "exact", True),
        ("exact", None, False),
        ("!exact", None, False),
    ],
)
def test_label_patterns_are_globs_a_bang_negates(
    pattern: str, value: str | None, expected: bool
) -> None:
    assert label_matches(pattern, value) is expected


def test_a_resource_specification_needs_every_label_and_any_of_its_values() -> None:
    spec = ResourceSpecification.model_validate(
        {"prefect.resource.id": "prefect.flow-run.*", "prefect.resource.name": ["a", "b*"]}
    )
    assert spec.matches(
        {"prefect.resource.id": "prefect.flow-run.1", "prefect.resource.name": "bee"}
    )
    assert not spec.matches(
        {"prefect.resource.id": "prefect.flow-run.1", "prefect.resource.name": "c"}
    )
    assert not spec.matches({"prefect.resource.id": "prefect.flow-run.1"})
    assert ResourceSpecification.model_validate({}).includes([])


def test_an_event_trigger_covers_the_events_it_expects_about_the_resources_it_matches() -> None:
    trigger = EventTrigger.model_validate(
        {
            "posture": "Reactive",
            "expect": ["prefect.flow-run.Failed", "prefect.flow-run.Crash*"],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": [
                {"prefect.resource.role": "tag", "prefect.resource.id": "prefect.tag.db"}
            ],
        }
    )
    assert trigger.expects("prefect.flow-run.Crashed")
    assert not trigger.expects("prefect.flow-run.Completed")
    run = {"prefect.resource.id": "prefect.flow-run.1"}
    tag = {"prefect.resource.id": "prefect.tag.db", "prefect.resource.role": "tag"}
    assert trigger.covers_resources(run, [tag])
    assert not trigger.covers_resources(run, [])


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "launch-rocket"}, "launch-rocket"),
        ({"type": "run-deployment"}, "deployment_id"),
        (
            {"type": "run-deployment", "source": "inferred", "deployment_id": str(uuid4())},
            "deployment_id",
        ),
        ({"type": "pause-work-pool", "source": "selected"}, "work_pool_id"),
        ({"type": "resume-work-queue"}, "work_queue_id"),
        ({"type": "pause-automation"}, "automation_id"),
        ({"type": "run-deployment", "source": "inferred", "schedule_after": -5}, "schedule_after"),
        ({"type": "send-notification", "block_document_id": str(uuid4())}, "body"),
        (
            {"type": "send-notification", "block_document_id": str(uuid4()), "body": "{{ oops"},
            "body",
        ),
        ({"type": "change-flow-run-state", "state": "DREAMING"}, "state"),
        ({"type": "call-webhook"}, "block_document_id"),
    ],
)
def test_an_action_prefects_server_refuses_is_refused_naming_the_field(
    action: dict[str, Any], field: str
) -> None:
    body = {**CLIENT_AUTOMATION, "actions": [action]}
    assert field in errors_of(AutomationCreate.model_validate, body)


def test_every_action_type_of_prefect_is_read() -> None:
    some_id = str(uuid4())
    sent = [
        {"type": "do-nothing"},
        {"type": "run-deployment", "source": "selected", "deployment_id": some_id},
        {"type": "pause-deployment", "source": "inferred"},
        {"type": "resume-deployment", "deployment_id": some_id},
        {"type": "cancel-flow-run"},
        {"type": "change-flow-run-state", "state": "FAILED", "message": "no"},
        {"type": "suspend-flow-run"},
        {"type": "resume-flow-run"},
        {"type": "delete-flow-run"},
        {"type": "call-webhook", "block_document_id": some_id, "payload": {"message": "hi"}},
        {"type": "send-notification", "block_document_id": some_id, "body": "b"},
        {"type": "pause-work-pool", "work_pool_id": some_id},
        {"type": "resume-work-pool", "source": "inferred"},
        {"type": "pause-work-queue", "work_queue_id": some_id},
        {"type": "resume-work-queue", "source": "inferred"},
        {"type": "pause-automation", "source": "inferred"},
        {"type": "resume-automation", "automation_id": some_id},
    ]
    read = [parse_action(action) for action in sent]
    assert [action.type for action in read] == [action["type"] for action in sent]
    webhook = read[9]
    assert isinstance(webhook, CallWebhook)
    assert json.loads(webhook.payload) == {"message": "hi"}  # an old client's object payload
    change = read[5]
    assert isinstance(change, ChangeFlowRunState) and change.state is StateType.FAILED
    notification = read[10]
    assert isinstance(notification, SendNotification)
    assert notification.subject == "Prefect automated notification"
    run = read[1]
    assert isinstance(run, RunDeployment)
    assert run.model_dump(mode="json")["schedule_after"] == 0.0


def test_templates_with_too_many_or_too_deep_loops_are_refused() -> None:
    many = "{% for x in y %}{% endfor %}" * 11
    deep = "{% for a in b %}{% for c in a %}{% for d in c %}{% endfor %}{% endfor %}{% endfor %}"
    two_deep = "{% for a in b %}{% for c in a %}{{ c }}{% endfor %}{% endfor %}"
    block = str(uuid4())
    for body in (many, deep):
        with pytest.raises(ValidationError, match="not a valid template"):
            SendNotification(block_document_id=block, body=body)  # type: ignore[arg-type]
    assert SendNotification(block_document_id=block, body=two_deep).body == two_deep  # type: ignore[arg-type]


def test_run_deployment_parameter_templates_must_parse() -> None:
    with pytest.raises(ValidationError, match=r"parameters\.x"):
        parse_action(
            {"type": "run-deployment", "source": "inferred", "parameters": {"x": "{{ bad"}}
        )


def test_a_reactive_trigger_on_every_run_that_runs_an_inferred_deployment_is_refused() -> None:
    body = {
        **CLIENT_AUTOMATION,
        "trigger": {"posture": "Reactive", "expect": ["prefect.flow-run.Running"]},
        "actions": [{"type": "run-deployment", "source": "inferred"}],
    }
    assert "infinite loop" in errors_of(AutomationCreate.model_validate, body)
    # Disabled, it cannot loop; so it is kept.
    assert AutomationCreate.model_validate({**body, "enabled": False}).enabled is False


def test_an_unknown_key_of_the_body_is_refused_and_one_inside_the_trigger_ignored() -> None:
    assert "surprise" in errors_of(
        AutomationCreate.model_validate, {**CLIENT_AUTOMATION, "surprise": 1}
    )
    trigger = {**CLIENT_AUTOMATION["trigger"], "surprise": 1}
    assert AutomationCreate.model_validate({**CLIENT_AUTOMATION, "trigger": trigger})


def test_a_patch_sets_enabled_only() -> None:
    assert AutomationPartialUpdate.model_validate({"enabled": False}).enabled is False
    assert "name" in errors_of(AutomationPartialUpdate.model_validate, {"name": "x"})


def test_a_response_reads_stored_json_back() -> None:
    columns = AutomationCreate.model_validate(CLIENT_AUTOMATION).columns()
    now = datetime.now(UTC)
    response = AutomationResponse.model_validate(
        {**columns, "id": uuid4(), "created": now, "updated": now}
    ).model_dump(mode="json")
    assert response["trigger"] == columns["trigger"]
    assert response["actions"] == columns["actions"]
