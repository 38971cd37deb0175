"""The where-clauses of an event filter on the `event` table, on SQLite and PostgreSQL.

Time, name, id and the event's own resource id are columns with indexes (occurred,
event+occurred, resource_id+occurred). Related resources live in the event's JSON `related`
list, so a criterion on them is an EXISTS over that list's items: it costs one JSON walk per
event that the indexed criteria leave, which the occurred range (always present) bounds.
Prefect's server keeps a second table of every (event, resource) pair for this; we do not,
so that storing an event, the hottest write, stays one row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)

from models.db.dialect import json_list_items
from models.events.tables import EventRow
from models.events.text_search import parse_text_search
from models.schemas.events import RESOURCE_ID, RESOURCE_ROLE

if TYPE_CHECKING:
    from sqlalchemy import SQLColumnExpression

    from models.schemas.event_filters import (
        AnyResourceCriteria,
        EventFilter,
        NameCriteria,
        RelatedCriteria,
        ResourceCriteria,
        TextCriteria,
    )

#: Wildcards of a label pattern, as SQL LIKE writes them (with `\` escaping LIKE's own).
LIKE_TRANSLATION = str.maketrans({"*": "%", "?": "_", "\\": "\\\\", "%": "\\%", "_": "\\_"})


def event_clauses(wanted: EventFilter, dialect: str) -> list[ColumnElement[bool]]:
    """Every criterion of the filter as a clause on `EventRow`, all to be ANDed."""
    clauses: list[ColumnElement[bool]] = [
        EventRow.occurred >= wanted.occurred.since,
        EventRow.occurred <= wanted.occurred.until,
    ]
    if wanted.event is not None:
        clauses.extend(name_clauses(wanted.event))
    if wanted.resource is not None:
        clauses.extend(resource_clauses(wanted.resource))
    for related in wanted.related_criteria():
        clauses.extend(related_clauses(related, dialect))
    for any_resource in wanted.any_resource_criteria():
        clauses.extend(any_resource_clauses(any_resource, dialect))
    if wanted.id.id:
        clauses.append(EventRow.id.in_(wanted.id.id))
    if wanted.text is not None:
        clauses.extend(text_clauses(wanted.text))
    return clauses


def name_clauses(criteria: NameCriteria) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if criteria.prefix:
        clauses.append(
            or_(*(EventRow.event.startswith(p, autoescape=True) for p in criteria.prefix))
        )
    if criteria.exclude_prefix:
        clauses.extend(
            not_(EventRow.event.startswith(prefix, autoescape=True))
            for prefix in criteria.exclude_prefix
        )
    if criteria.name:
        clauses.append(EventRow.event.in_(criteria.name))
    if criteria.exclude_name:
        clauses.append(EventRow.event.not_in(criteria.exclude_name))
    return clauses


def resource_clauses(criteria: ResourceCriteria) -> list[ColumnElement[bool]]:
    """Criteria on the event's own resource, which has its id in an indexed column."""
    clauses = id_clauses(EventRow.resource_id, criteria.id, criteria.id_prefix)
    if criteria.labels:
        clauses.extend(label_clauses(criteria.labels, EventRow.resource_id, EventRow.resource))
    return clauses


def related_clauses(criteria: RelatedCriteria, dialect: str) -> list[ColumnElement[bool]]:
    """One related resource of the event meets every criterion (none given: no clause)."""
    item = json_list_items(EventRow.related, dialect)
    item_id = item.c.value[RESOURCE_ID].as_string()
    item_role = item.c.value[RESOURCE_ROLE].as_string()
    clauses = id_clauses(item_id, criteria.id, None)
    if criteria.role:
        clauses.append(item_role.in_(criteria.role))
    if criteria.resources_in_roles:
        clauses.append(
            or_(
                *(
                    and_(item_id == resource_id, item_role == role)
                    for resource_id, role in criteria.resources_in_roles
                )
            )
        )
    if criteria.labels:
        clauses.extend(label_clauses(criteria.labels, item_id, item.c.value, item_role))
    if not clauses:
        return []
    return [exists(select(literal(1)).select_from(item).where(*clauses))]


def any_resource_clauses(criteria: AnyResourceCriteria, dialect: str) -> list[ColumnElement[bool]]:
    """The event's own resource or one related resource meets every criterion."""
    own = id_clauses(EventRow.resource_id, criteria.id, criteria.id_prefix)
    if criteria.labels:
        own.extend(label_clauses(criteria.labels, EventRow.resource_id, EventRow.resource))
    if not own:
        return []
    item = json_list_items(EventRow.related, dialect)
    item_id = item.c.value[RESOURCE_ID].as_string()
    item_role = item.c.value[RESOURCE_ROLE].as_string()
    related = id_clauses(item_id, criteria.id, criteria.id_prefix)
    if criteria.labels:
        related.extend(label_clauses(criteria.labels, item_id, item.c.value, item_role))
    return [or_(and_(*own), exists(select(literal(1)).select_from(item).where(*related)))]


def id_clauses(
    column: SQLColumnExpression[str], ids: list[str] | None, prefixes: list[str] | None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if ids:
        clauses.append(column.in_(ids))
    if prefixes:
        clauses.append(or_(*(column.startswith(prefix, autoescape=True) for prefix in prefixes)))
    return clauses


def label_clauses(
    labels: dict[str, list[str]],
    resource_id: SQLColumnExpression[str],
    resource: Any,
    role: SQLColumnExpression[str] | None = None,
) -> list[ColumnElement[bool]]:
    """Each label matches one of its patterns; a resource without the label matches none,
    a negated pattern included, and a label with no patterns matches nothing. A related
    resource's role is compared as it is, without wildcards, as Prefect's server does."""
    clauses: list[ColumnElement[bool]] = []
    for label, patterns in labels.items():
        if not patterns:
            clauses.append(false())
            continue
        if label == RESOURCE_ROLE and role is not None:
            clauses.append(role.in_(patterns))
            continue
        value = resource_id if label == RESOURCE_ID else resource[label].as_string()
        clauses.append(or_(*(label_matches(value, pattern) for pattern in patterns)))
    return clauses


def label_matches(value: SQLColumnExpression[str], pattern: str) -> ColumnElement[bool]:
    """`*` and `?` are wildcards; a leading `!` negates (a missing label still fails)."""
    negated = pattern.startswith("!")
    like = value.like(pattern.removeprefix("!").translate(LIKE_TRANSLATION), escape="\\")
    return and_(value.is_not(None), not_(like)) if negated else like


def text_clauses(criteria: TextCriteria) -> list[ColumnElement[bool]]:
    """Terms found in the name, the resources' and related resources' JSON or the payload."""
    search = parse_text_search(criteria.query)
    searched = func.lower(
        EventRow.event.concat(" ")
        .concat(cast(EventRow.resource, Text))
        .concat(" ")
        .concat(cast(EventRow.related, Text))
        .concat(" ")
        .concat(cast(EventRow.payload, Text))
    )

    def found(term: str) -> ColumnElement[bool]:
        return searched.contains(term.lower(), autoescape=True)

    clauses: list[ColumnElement[bool]] = []
    if search.any_of:
        clauses.append(or_(*(found(term) for term in search.any_of)))
    clauses.extend(not_(found(term)) for term in search.none_of)
    clauses.extend(found(term) for term in search.all_of)
    return clauses
