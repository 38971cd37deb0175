"""Which events a trigger is about: event names and resource labels, with Prefect's patterns.

A pattern is a shell-style glob (`prefect.flow-run.*`); a label pattern that starts with `!`
matches every value but those (a missing label matches neither). A resource specification
matches a resource when every one of its labels matches one of its patterns, and it matches
a list of related resources when one of them matches it whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any
from uuid import UUID

#: A resource specification, read once: (label, its patterns) pairs.
LabelSpec = tuple[tuple[str, tuple[str, ...]], ...]


def read_label_spec(spec: Mapping[str, str | Sequence[str]]) -> LabelSpec:
    """A stored `match` / `match_related` dict as (label, patterns) pairs."""
    return tuple(
        (label, (patterns,) if isinstance(patterns, str) else tuple(patterns))
        for label, patterns in spec.items()
    )


def name_matches(pattern: str, event_name: str) -> bool:
    """Whether an `expect` / `after` pattern names the event."""
    return fnmatchcase(event_name, pattern)


def label_matches(pattern: str, value: str | None) -> bool:
    """Whether a label's value matches one pattern (`!` negates; a missing label never)."""
    if value is None:
        return False
    if pattern.startswith("!"):
        return not fnmatchcase(value, pattern[1:])
    return fnmatchcase(value, pattern)


def resource_matches(spec: LabelSpec, resource: Mapping[str, str]) -> bool:
    return all(
        any(label_matches(pattern, resource.get(label)) for pattern in patterns)
        for label, patterns in spec
    )


def any_resource_matches(spec: LabelSpec, resources: Sequence[Mapping[str, str]]) -> bool:
    """An empty specification matches anything, even no resource at all."""
    return not spec or any(resource_matches(spec, resource) for resource in resources)


@dataclass(frozen=True)
class CandidateEvent:
    """A stored event, as the evaluator reads it from the `event` table."""

    id: UUID
    occurred: datetime
    received: datetime
    event: str
    resource: Mapping[str, str]
    related: Sequence[Mapping[str, str]]
    payload: Mapping[str, Any]
    follows: UUID | None = None

    def label(self, name: str) -> str | None:
        """A `for_each` label's value: `related:<role>:<label>` reads the first related
        resource in that role, anything else the event's own resource."""
        directive, _, related_label = name.rpartition(":")
        directive, _, role = directive.partition(":")
        if directive == "related":
            for related in self.related:
                if related.get("prefect.resource.role") == role:
                    return related.get(related_label)
        return self.resource.get(name)

    def as_json(self) -> dict[str, Any]:
        """The event as Prefect's API shows it (a firing's `triggering_event`)."""
        return {
            "id": str(self.id),
            "occurred": self.occurred.isoformat(),
            "received": self.received.isoformat(),
            "event": self.event,
            "resource": dict(self.resource),
            "related": [dict(related) for related in self.related],
            "payload": dict(self.payload),
            "follows": None if self.follows is None else str(self.follows),
        }


def covers_resources(
    match: LabelSpec, match_related: Sequence[LabelSpec], event: CandidateEvent
) -> bool:
    """Whether the event's resource matches `match` and its related resources every one of
    `match_related`."""
    if not any_resource_matches(match, [event.resource]):
        return False
    return all(any_resource_matches(spec, event.related) for spec in match_related)


def bucketing_key(for_each: Sequence[str], event: CandidateEvent) -> tuple[str, ...]:
    """The event's values of the trigger's (sorted) `for_each` labels; missing ones are ""."""
    return tuple(event.label(label) or "" for label in for_each)
