"""The automation store: create, read, replace, pause, delete, list and count automations,
and the evaluator's read of every enabled one.

Automations kept for a notification policy (`notification_policy_id` set) belong to the
policy API: the functions the automations API calls never see them, while the evaluator's
read includes them, so one evaluator decides every notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, delete, func, select, update

from models.automations.related import (
    relate_to_owner,
    related_automation_ids,
    sync_related_deployments,
)
from models.automations.run_deployment_checks import check_run_deployment_job_variables
from models.automations.tables import Automation
from models.errors import ObjectNotFound
from models.filters.base import list_matching
from models.schemas.automation_triggers import TriggerModel, parse_trigger
from models.schemas.automations import AutomationCore, AutomationResponse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.automations import AutomationCountBody, AutomationFilterBody
    from models.schemas.automation_triggers import TriggerSpec
    from models.schemas.automations import AutomationCreate, AutomationUpdate

#: What Prefect's server answers (404) for an unknown automation.
NOT_FOUND_DETAIL: Final = "Automation not found"


def automation_not_found() -> ObjectNotFound:
    """The 404 of an unknown automation: Prefect's server answers `exception_message` where
    our other 404s answer `detail`; the body carries both."""
    error = ObjectNotFound(NOT_FOUND_DETAIL)
    error.extra = MappingProxyType({"exception_message": NOT_FOUND_DETAIL})
    return error


def shown(automation_id: UUID | None = None) -> ColumnElement[bool]:
    """Automations the automations API shows (not a notification policy's), optionally one."""
    visible = Automation.notification_policy_id.is_(None)
    return visible if automation_id is None else visible & (Automation.id == automation_id)


def with_new_trigger_ids(core: AutomationCore, *, sent_only: bool = False) -> dict[str, Any]:
    """The automation's columns (those sent only, if `sent_only`), its triggers with new ids.

    Prefect's server ignores the ids a client sends on create and replace, so a trigger's
    state never carries over to a different trigger that reuses an id.
    """
    for trigger in core.trigger.all_triggers():
        trigger.id = uuid4()
    return core.columns(sent_only=sent_only)


async def create_automation(
    session: AsyncSession, body: AutomationCreate, now: datetime
) -> Automation:
    """A new automation, related to the deployments it runs and to its owner, if any."""
    await check_run_deployment_job_variables(session, body, replacing=False)
    automation = Automation(id=uuid4(), created=now, updated=now, **with_new_trigger_ids(body))
    session.add(automation)
    await session.flush()
    await sync_related_deployments(session, automation.id, body.selected_deployment_ids())
    if body.owner_resource:
        await relate_to_owner(session, automation.id, body.owner_resource)
    return automation


async def read_automation(session: AsyncSession, automation_id: UUID) -> Automation:
    """The automation with that id; raises ObjectNotFound (a policy's too)."""
    automation = await session.scalar(
        select(Automation).where(shown(automation_id)).execution_options(populate_existing=True)
    )
    if automation is None:
        raise automation_not_found()
    return automation


async def replace_automation(
    session: AsyncSession, automation_id: UUID, body: AutomationUpdate, now: datetime
) -> None:
    """Replace the automation (PUT): every field the body sent; raises ObjectNotFound."""
    await check_run_deployment_job_variables(session, body, replacing=True)
    result = await session.execute(
        update(Automation)
        .where(shown(automation_id))
        .values(**with_new_trigger_ids(body, sent_only=True), updated=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise automation_not_found()
    await sync_related_deployments(session, automation_id, body.selected_deployment_ids())


async def set_automation_enabled(
    session: AsyncSession, automation_id: UUID, enabled: bool, now: datetime
) -> None:
    """Pause (False) or resume (True) an automation; raises ObjectNotFound.

    The automation is validated as it would be with the change, as Prefect's server does:
    resuming one that would run deployments for ever is refused (ValidationError, a 422).
    """
    automation = await read_automation(session, automation_id)
    AutomationCore.model_validate({**stored_core(automation), "enabled": enabled})
    await session.execute(
        update(Automation)
        .where(Automation.id == automation_id)
        .values(enabled=enabled, updated=now)
        .execution_options(synchronize_session=False)
    )


def stored_core(automation: Automation) -> dict[str, Any]:
    return {
        "name": automation.name,
        "description": automation.description,
        "enabled": automation.enabled,
        "tags": automation.tags,
        "trigger": automation.trigger,
        "actions": automation.actions,
        "actions_on_trigger": automation.actions_on_trigger,
        "actions_on_resolve": automation.actions_on_resolve,
    }


async def delete_automation(session: AsyncSession, automation_id: UUID) -> None:
    """Delete an automation (its relations and firings go with it); raises ObjectNotFound."""
    result = await session.execute(
        delete(Automation).where(shown(automation_id)).execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise automation_not_found()


async def filter_automations(session: AsyncSession, body: AutomationFilterBody) -> list[Automation]:
    """The automations matching a filter body, sorted and paged."""
    return await list_matching(session, select(Automation).where(shown()), body)


async def count_automations(session: AsyncSession, body: AutomationCountBody) -> int:
    """How many automations match a filter body."""
    dialect = session.get_bind().dialect.name
    counted = select(func.count(Automation.id)).where(shown(), body.where(dialect))
    return await session.scalar(counted) or 0


async def read_automations_related_to(
    session: AsyncSession, resource_id: str, *, owned: bool | None = None
) -> list[Automation]:
    """The automations related to a resource (only those it owns, or does not, if `owned`)."""
    ids = related_automation_ids(resource_id, owned=owned)
    return list(
        await session.scalars(
            select(Automation).where(shown(), Automation.id.in_(ids)).order_by(Automation.created)
        )
    )


async def delete_automations_owned_by(
    session: AsyncSession, resource_id: str, created_before: datetime
) -> list[UUID]:
    """Delete the automations a resource owns that existed at `created_before`; their ids.

    The bound keeps an automation the owner creates right after the call (`flow.serve`
    deletes, then creates) from being caught by a delete that arrives late.
    """
    owned = related_automation_ids(resource_id, owned=True)
    deleted = await session.scalars(
        delete(Automation)
        .where(shown(), Automation.id.in_(owned), Automation.created <= created_before)
        .returning(Automation.id)
        .execution_options(synchronize_session=False)
    )
    return list(deleted)


def response_of(automation: Automation) -> AutomationResponse:
    return AutomationResponse.model_validate(automation)


@dataclass(frozen=True)
class EnabledAutomation:
    """An enabled automation as the evaluator reads it: its trigger parsed."""

    id: UUID
    name: str
    updated: datetime
    trigger: TriggerSpec
    #: Set when the automation is a notification policy's.
    notification_policy_id: UUID | None

    def triggers(self) -> list[TriggerModel]:
        """The trigger and every trigger inside it, depth first."""
        return self.trigger.all_triggers()


async def enabled_automations(session: AsyncSession) -> list[EnabledAutomation]:
    """Every enabled automation, policies' included, oldest first, triggers parsed.

    A stored trigger that no longer parses is left out rather than stopping evaluation of
    the others; the API only stores triggers that parse.
    """
    rows = await session.execute(
        select(
            Automation.id,
            Automation.name,
            Automation.updated,
            Automation.trigger,
            Automation.notification_policy_id,
        )
        .where(Automation.enabled.is_(True))
        .order_by(Automation.created, Automation.id)
    )
    enabled = []
    for row in rows:
        try:
            trigger = parse_trigger(row.trigger)
        except ValueError:  # pydantic's ValidationError is a ValueError
            continue
        enabled.append(
            EnabledAutomation(row.id, row.name, row.updated, trigger, row.notification_policy_id)
        )
    return enabled


async def automations_version(session: AsyncSession) -> tuple[int, datetime | None]:
    """A cheap mark that changes whenever any automation is created, changed or deleted:
    (how many there are, when the latest changed). The evaluator compares it to the mark of
    its cached `enabled_automations` before reading them again."""
    row = (
        await session.execute(select(func.count(Automation.id), func.max(Automation.updated)))
    ).one()
    return int(row[0]), row[1]
