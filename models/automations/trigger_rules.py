"""Triggers as the evaluator reads them: the stored trigger JSON turned into plain rules.

The API validates triggers with their wire schemas before storing them, so what is stored
is already sound; the evaluator reads only the fields it evaluates, into frozen values it
can keep in its per-process cache and hand to the pure functions of `buckets.py` and
`composites.py` without pydantic on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from models.automations.matching import (
    CandidateEvent,
    LabelSpec,
    covers_resources,
    name_matches,
    read_label_spec,
)

#: `within` of a proactive trigger stored without one, as Prefect's schema defaults it.
DEFAULT_PROACTIVE_WITHIN = timedelta(seconds=10)


class Posture(StrEnum):
    """Whether a trigger fires on the presence of events or on their absence."""

    REACTIVE = "Reactive"
    PROACTIVE = "Proactive"


@dataclass(frozen=True)
class EventRule:
    """An event trigger: counts matching events per bucket and fires at its threshold."""

    id: UUID
    automation_id: UUID
    posture: Posture
    expect: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    match: LabelSpec = ()
    match_related: tuple[LabelSpec, ...] = ()
    for_each: tuple[str, ...] = ()  # sorted, as bucketing keys are built
    threshold: int = 1
    within: timedelta = timedelta(0)
    #: The composite trigger this one is a child of, if any.
    parent_id: UUID | None = None

    @property
    def immediate(self) -> bool:
        """A reactive trigger without a window fires for each event on its own."""
        return self.posture is Posture.REACTIVE and self.within == timedelta(0)

    def expects(self, event_name: str) -> bool:
        """Whether the event counts towards the threshold (no `expect`: every event does)."""
        return not self.expect or any(name_matches(pattern, event_name) for pattern in self.expect)

    def starts_after(self, event_name: str) -> bool:
        """Whether the event opens a window (only when `after` names it)."""
        return any(name_matches(pattern, event_name) for pattern in self.after)

    def interested_in(self, event_name: str) -> bool:
        """Whether the event's name alone could make it count or open a window."""
        return self.expects(event_name) or self.starts_after(event_name)

    def covers(self, event: CandidateEvent) -> bool:
        """Whether the event is one this trigger evaluates: its name and its resources."""
        return self.interested_in(event.event) and covers_resources(
            self.match, self.match_related, event
        )

    def meets_threshold(self, count: int) -> bool:
        """Enough events for a reactive trigger; too few for a proactive one."""
        if self.posture is Posture.REACTIVE:
            return count >= self.threshold
        return count < self.threshold


@dataclass(frozen=True)
class CompositeRule:
    """A compound (`require` any/all/N of its children) or sequence (in order) trigger."""

    id: UUID
    automation_id: UUID
    kind: str  # "compound" or "sequence"
    child_ids: tuple[UUID, ...]
    required: int
    within: timedelta | None
    parent_id: UUID | None = None


@dataclass(frozen=True)
class AutomationRules:
    """One enabled automation's triggers, flattened: its event triggers and composites."""

    automation_id: UUID
    name: str
    top_trigger_id: UUID
    #: The posture of the automation's trigger when it is an event trigger (its events say it).
    top_posture: str | None = None
    events: tuple[EventRule, ...] = ()
    composites: Mapping[UUID, CompositeRule] = field(default_factory=dict)


def seconds(value: Any, default: timedelta) -> timedelta:
    """A stored `within`: a number of seconds (what Prefect's client sends), or nothing."""
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    return timedelta(seconds=float(value))


def read_event_rule(
    data: Mapping[str, Any], automation_id: UUID, parent_id: UUID | None
) -> EventRule:
    posture = Posture(data.get("posture", Posture.REACTIVE))
    within = seconds(data.get("within"), timedelta(0))
    if posture is Posture.PROACTIVE and within == timedelta(0):
        within = DEFAULT_PROACTIVE_WITHIN
    match_related = data.get("match_related") or {}
    related_specs = match_related if isinstance(match_related, list) else [match_related]
    return EventRule(
        id=UUID(str(data["id"])),
        automation_id=automation_id,
        posture=posture,
        expect=frozenset(data.get("expect") or ()),
        after=frozenset(data.get("after") or ()),
        match=read_label_spec(data.get("match") or {}),
        match_related=tuple(read_label_spec(spec) for spec in related_specs if spec),
        for_each=tuple(sorted(data.get("for_each") or ())),
        threshold=int(data.get("threshold", 1)),
        within=within,
        parent_id=parent_id,
    )


def required_firings(data: Mapping[str, Any], children: int) -> int:
    """How many children a composite needs: a sequence all, a compound its `require`."""
    require = data.get("require", "all")
    if data.get("type") == "sequence" or require == "all":
        return children
    if require == "any":
        return 1
    return int(require)


def walk_trigger(
    data: Mapping[str, Any], automation_id: UUID, parent_id: UUID | None = None
) -> Iterator[EventRule | CompositeRule]:
    """Every trigger in the tree, parents before their children."""
    trigger_id = UUID(str(data["id"]))
    if data.get("type", "event") == "event":
        yield read_event_rule(data, automation_id, parent_id)
        return
    children = list(data.get("triggers") or ())
    within = data.get("within")
    yield CompositeRule(
        id=trigger_id,
        automation_id=automation_id,
        kind=str(data["type"]),
        child_ids=tuple(UUID(str(child["id"])) for child in children),
        required=required_firings(data, len(children)),
        within=None if within is None else seconds(within, timedelta(0)),
        parent_id=parent_id,
    )
    for child in children:
        yield from walk_trigger(child, automation_id, trigger_id)


def read_automation_rules(
    automation_id: UUID, name: str, trigger: Mapping[str, Any]
) -> AutomationRules:
    """The rules of one automation, from its stored trigger JSON."""
    events: list[EventRule] = []
    composites: dict[UUID, CompositeRule] = {}
    for rule in walk_trigger(trigger, automation_id):
        if isinstance(rule, EventRule):
            events.append(rule)
        else:
            composites[rule.id] = rule
    return AutomationRules(
        automation_id=automation_id,
        name=name,
        top_trigger_id=UUID(str(trigger["id"])),
        top_posture=events[0].posture.value if trigger.get("type", "event") == "event" else None,
        events=tuple(events),
        composites=composites,
    )
