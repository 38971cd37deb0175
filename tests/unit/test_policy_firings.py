"""Which firings the evaluator acts on itself: a policy's notification, and nothing more."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from models.automations.firings import Firing, FiringKind
from models.automations.policy_automations import policy_actions
from models.automations.policy_firings import is_policy_notification
from models.automations.tables import Automation

NOTIFY = policy_actions(uuid4(), None)


def automation(**columns: Any) -> Automation:
    values: dict[str, Any] = {
        "actions": NOTIFY,
        "actions_on_trigger": [],
        "notification_policy_id": uuid4(),
    }
    return Automation(id=uuid4(), **(values | columns))


def firing(kind: FiringKind = FiringKind.TRIGGERED) -> Firing:
    return Firing(id=uuid4(), kind=kind.value)


def test_a_policy_automation_that_fired_is_acted_on_by_the_evaluator() -> None:
    assert is_policy_notification(automation(), firing())


def test_an_automation_of_no_policy_is_left_to_the_action_runner() -> None:
    assert not is_policy_notification(automation(notification_policy_id=None), firing())


def test_a_policy_automation_doing_more_than_notify_is_left_to_the_action_runner() -> None:
    more = [*NOTIFY, {"type": "do-nothing"}]
    assert not is_policy_notification(automation(actions=more), firing())
    assert not is_policy_notification(
        automation(actions_on_trigger=[{"type": "do-nothing"}]), firing()
    )
    assert not is_policy_notification(automation(actions=[{"type": "do-nothing"}]), firing())


def test_a_resolved_firing_is_left_to_the_action_runner() -> None:
    assert not is_policy_notification(automation(), firing(FiringKind.RESOLVED))
