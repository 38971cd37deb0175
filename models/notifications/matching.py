"""Which notification policies a flow-run state sets off (Prefect 2's matching rules)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.notifications.policies import NotificationPolicy


def policy_matches(policy: NotificationPolicy, state_name: str, run_tags: Sequence[str]) -> bool:
    """Whether an active policy wants to hear that a run with these tags entered this state.

    No state names means every state and no tags means every run; otherwise the state's
    name must be listed and the run must share at least one tag with the policy.
    """
    if not policy.is_active:
        return False
    if policy.state_names and state_name not in policy.state_names:
        return False
    return not policy.tags or not set(policy.tags).isdisjoint(run_tags)


def match_notification_policies(
    policies: Iterable[NotificationPolicy], state_name: str, run_tags: Sequence[str]
) -> list[NotificationPolicy]:
    """The policies a run with `run_tags` entering the state named `state_name` sets off."""
    return [policy for policy in policies if policy_matches(policy, state_name, run_tags)]
