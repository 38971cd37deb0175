"""Which notification policies a state sets off: Prefect 2's rules."""

from __future__ import annotations

from uuid import uuid4

from models.notifications.matching import match_notification_policies
from models.notifications.policies import NotificationPolicy


def policy(state_names: list[str], tags: list[str], active: bool = True) -> NotificationPolicy:
    return NotificationPolicy(
        id=uuid4(), is_active=active, state_names=state_names, tags=tags, block_document_id=uuid4()
    )


def test_no_state_names_means_every_state() -> None:
    every = policy([], [])
    for state in ("Pending", "Running", "Failed"):
        assert match_notification_policies([every], state, []) == [every]


def test_listed_state_names_match_by_name_only() -> None:
    on_failure = policy(["Failed", "Completed"], [])
    assert match_notification_policies([on_failure], "Failed", []) == [on_failure]
    assert match_notification_policies([on_failure], "Running", []) == []
    assert match_notification_policies([on_failure], "TimedOut", []) == []


def test_tags_need_one_in_common_and_no_tags_means_every_run() -> None:
    tagged = policy([], ["etl", "nightly"])
    untagged = policy([], [])
    assert match_notification_policies([tagged, untagged], "Failed", ["nightly"]) == [
        tagged,
        untagged,
    ]
    assert match_notification_policies([tagged, untagged], "Failed", ["other"]) == [untagged]
    assert match_notification_policies([tagged], "Failed", []) == []


def test_an_inactive_policy_never_matches() -> None:
    assert match_notification_policies([policy([], [], active=False)], "Failed", []) == []
