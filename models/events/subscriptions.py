"""Which events a `/api/events/out` subscriber wants, and the test of one event against it.

The shape is the filter the Prefect client sends in its `{"type": "filter"}` frame.
Unknown keys are ignored; every given criterion must hold. An empty list is no criterion, as
on Prefect's server: the client's default filter carries `"id": {"id": []}`, which means
"any event", not "none".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.db.types import utcnow


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OccurredFilter(Lenient):
    since: datetime = Field(default_factory=lambda: utcnow() - timedelta(hours=1))
    until: datetime | None = None


class NameFilter(Lenient):
    prefix: list[str] | None = None
    exclude_prefix: list[str] | None = None
    name: list[str] | None = None
    exclude_name: list[str] | None = None


class ResourceFilter(Lenient):
    id: list[str] | None = None
    id_prefix: list[str] | None = None
    labels: dict[str, str | list[str]] | None = None


class RelatedFilter(ResourceFilter):
    role: list[str] | None = None

    def names_nothing(self) -> bool:
        """No criterion given: an event passes even with no related resources at all."""
        return not (self.id or self.id_prefix or self.labels or self.role)


class IdFilter(Lenient):
    id: list[str] | None = None


class EventFilter(Lenient):
    """The subset of Prefect's event filter that subscribers use, all criteria ANDed."""

    occurred: OccurredFilter = Field(default_factory=OccurredFilter)
    event: NameFilter | None = None
    resource: ResourceFilter | None = None
    related: RelatedFilter | None = None
    any_resource: ResourceFilter | None = None
    id: IdFilter | None = None

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether one event (as JSON: occurred, event, resource, related, id) passes."""
        occurred = event_time(event)
        if occurred is not None:
            if occurred < self.occurred.since:
                return False
            if self.occurred.until is not None and occurred > self.occurred.until:
                return False
        if self.event is not None and not name_matches(self.event, str(event.get("event", ""))):
            return False
        if self.id is not None and self.id.id and str(event.get("id")) not in self.id.id:
            return False
        resource = event.get("resource") or {}
        related = event.get("related") or []
        if self.resource is not None and not resource_matches(self.resource, resource):
            return False
        if (
            self.related is not None
            and not self.related.names_nothing()
            and not any(related_matches(self.related, item) for item in related)
        ):
            return False
        return self.any_resource is None or any(
            resource_matches(self.any_resource, item) for item in [resource, *related]
        )


def event_time(event: dict[str, Any]) -> datetime | None:
    occurred = event.get("occurred")
    if isinstance(occurred, datetime):
        return occurred
    if isinstance(occurred, str):
        return datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    return None


def name_matches(criteria: NameFilter, name: str) -> bool:
    if criteria.name and name not in criteria.name:
        return False
    if criteria.prefix and not name.startswith(tuple(criteria.prefix)):
        return False
    if criteria.exclude_name and name in criteria.exclude_name:
        return False
    return not (criteria.exclude_prefix and name.startswith(tuple(criteria.exclude_prefix)))


def resource_matches(criteria: ResourceFilter, resource: dict[str, Any]) -> bool:
    resource_id = str(resource.get("prefect.resource.id", ""))
    if criteria.id and resource_id not in criteria.id:
        return False
    if criteria.id_prefix and not resource_id.startswith(tuple(criteria.id_prefix)):
        return False
    for label, wanted in (criteria.labels or {}).items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if resource.get(label) not in values:
            return False
    return True


def related_matches(criteria: RelatedFilter, resource: dict[str, Any]) -> bool:
    if criteria.role and resource.get("prefect.resource.role") not in criteria.role:
        return False
    return resource_matches(criteria, resource)
