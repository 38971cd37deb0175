"""What an action's templates can read: the automation, the firing and its event, and the
objects the event is about, as Prefect's server exposes them.

`flow`, `flow_run`, `task_run`, `deployment`, `work_pool` and `work_queue` are the first
resource of their kind the triggering event involves (its resource, then its related
resources), read from the database only when a template names them; `None` when the event
involves none. A flow run's `state` is the one the event reports, not whatever the run has
moved to since, as Prefect does. `variables` maps each variable's name to its value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import inspect, select

from models.automations.actions.targets import first_id_of_kind, involved_resources
from models.automations.templates import names_in_template
from models.coordination.deployments import Deployment
from models.coordination.work_pools import WorkPool, WorkQueue
from models.runs.flow_runs import FlowRun
from models.runs.flows import Flow
from models.runs.task_runs import TaskRun
from models.variables import Variable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.automations.actions.invocation import Invocation
    from models.db.base import Base

#: The objects a template may name, by name: their table and their resource kind.
OBJECTS: Final[dict[str, tuple[type[Base], str]]] = {
    "flow": (Flow, "flow"),
    "flow_run": (FlowRun, "flow-run"),
    "task_run": (TaskRun, "task-run"),
    "deployment": (Deployment, "deployment"),
    "work_pool": (WorkPool, "work-pool"),
    "work_queue": (WorkQueue, "work-queue"),
}
#: The event resource labels that carry the state a run entered.
STATE_LABELS: Final = {
    "type": "prefect.state-type",
    "name": "prefect.state-name",
    "message": "prefect.state-message",
    "timestamp": "prefect.state-timestamp",
}


class TemplateResource(dict[str, Any]):
    """An event's resource: its labels by name, and `id`, `name` and `role` as Prefect's
    `Resource` offers them (`{{ event.resource.id }}`)."""

    @property
    def id(self) -> str:
        return str(self.get("prefect.resource.id", ""))

    @property
    def name(self) -> str | None:
        return self.get("prefect.resource.name")

    @property
    def role(self) -> str | None:
        return self.get("prefect.resource.role")


def template_event(event: dict[str, Any] | None) -> dict[str, Any] | None:
    """The event as templates read it: its fields, with resources that know their id."""
    if event is None:
        return None
    return {
        **event,
        "resource": TemplateResource(event.get("resource") or {}),
        "related": [TemplateResource(related) for related in event.get("related") or []],
    }


def row_values(row: Base) -> dict[str, Any]:
    """A row's columns by attribute name."""
    return {column.key: getattr(row, column.key) for column in inspect(row).mapper.column_attrs}


def flow_run_values(row: FlowRun, resource: dict[str, Any] | None) -> dict[str, Any]:
    """A flow run's columns and its `state`: the event's when the event reports one."""
    values = row_values(row)
    state = {
        "type": row.state_type.value if row.state_type is not None else None,
        "name": row.state_name,
        "timestamp": row.state_timestamp,
        "message": None,
    }
    if resource is not None and all(label in resource for label in STATE_LABELS.values()):
        state = {key: resource[label] for key, label in STATE_LABELS.items()}
    values["state"] = state
    return values


def resource_of_kind(event: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    for resource in involved_resources(event or {}):
        if str(resource.get("prefect.resource.id", "")).startswith(f"prefect.{kind}."):
            return dict(resource)
    return None


async def template_context(
    session: AsyncSession, invocation: Invocation, templates: Any
) -> dict[str, Any]:
    """Everything the templates of one action may read. `templates` is the text (or the
    nested parameters) the action renders: only the objects it names are read."""
    automation, firing = invocation.automation, invocation.firing
    event = firing.triggering_event
    firing_values = {
        "id": str(firing.id),
        "trigger_id": str(firing.trigger_id),
        "kind": firing.kind,
        "occurred": firing.occurred,
        "triggering_labels": dict(firing.triggering_labels or {}),
        "triggering_event": template_event(event),
    }
    context: dict[str, Any] = {
        "automation": {
            "id": str(automation.id),
            "name": automation.name,
            "description": automation.description,
            "tags": list(automation.tags or []),
            "enabled": automation.enabled,
        },
        "event": template_event(event),
        "labels": dict(firing.triggering_labels or {}),
        "firing": firing_values,
        "firings": [firing_values],
        "events": [template_event(event)] if event is not None else [],
    }
    named = set().union(*(names_in_template(text) for text in texts_in(templates)))
    for name, (table, kind) in OBJECTS.items():
        if name not in named:
            continue
        object_id = first_id_of_kind(event, kind)
        row = await session.get(table, object_id) if object_id is not None else None
        if row is None:
            context[name] = None
        elif isinstance(row, FlowRun):
            context[name] = flow_run_values(row, resource_of_kind(event, kind))
        else:
            context[name] = row_values(row)
    if "variables" in named:
        context["variables"] = {
            variable.name: variable.value for variable in await session.scalars(select(Variable))
        }
    return context


def texts_in(templates: Any) -> list[str]:
    """Every text in a template, a list of them, or nested parameters."""
    if isinstance(templates, str):
        return [templates]
    if isinstance(templates, dict):
        return [text for value in templates.values() for text in texts_in(value)]
    if isinstance(templates, list):
        return [text for value in templates for text in texts_in(value)]
    return []
