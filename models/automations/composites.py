"""Compound and sequence triggers: when the firings of their children fire them.

A composite keeps the newest firing of each child (`automation_child_firing`); a compound
trigger fires once `required` children have fired, a sequence once every child has fired
in the order listed. Firings older than the composite's `within` no longer count. When it
fires, its children's firings are spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from models.automations.trigger_rules import CompositeRule


@dataclass(frozen=True)
class ChildFiring:
    """The newest firing of one child of a composite trigger."""

    child_trigger_id: UUID
    firing_id: UUID
    occurred: datetime
    triggering_event: dict[str, Any] | None
    event_ids: tuple[str, ...] = ()


def still_counting(
    rule: CompositeRule, firings: Sequence[ChildFiring], now: datetime
) -> list[ChildFiring]:
    """The child firings that are not older than the composite's `within`."""
    if rule.within is None:
        return list(firings)
    horizon = now - rule.within
    return [firing for firing in firings if firing.occurred >= horizon]


def composite_ready(rule: CompositeRule, firings: Sequence[ChildFiring]) -> bool:
    """Whether these child firings (one per child at most) fire the composite."""
    if rule.kind == "sequence":
        in_order = sorted(firings, key=lambda firing: firing.occurred)
        return [firing.child_trigger_id for firing in in_order] == list(rule.child_ids)
    return len(firings) >= rule.required
