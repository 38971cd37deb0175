"""The resources an automation is related to: the deployments its actions run, and the
resource that owns it.

As Prefect's server keeps them: a `run-deployment` action with a selected deployment relates
the automation to `prefect.deployment.<id>`, kept in step on every replace; an owner
(`owner_resource` on create, `flow.serve` giving its deployment) is related with
`automation_owned_by_resource` set, and no replace undoes that.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final
from uuid import UUID, uuid4

from sqlalchemy import Select, delete, select

from models.automations.tables import AutomationRelatedResource
from models.db.dialect import insert_ignoring_duplicates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DEPLOYMENT_PREFIX: Final = "prefect.deployment."


async def sync_related_deployments(
    session: AsyncSession, automation_id: UUID, deployment_ids: Iterable[UUID]
) -> None:
    """Relate the automation to exactly these deployments (ownerships stay as they are)."""
    await session.execute(
        delete(AutomationRelatedResource)
        .where(
            AutomationRelatedResource.automation_id == automation_id,
            AutomationRelatedResource.resource_id.startswith(DEPLOYMENT_PREFIX),
            AutomationRelatedResource.automation_owned_by_resource.is_(False),
        )
        .execution_options(synchronize_session=False)
    )
    rows = [
        {
            "id": uuid4(),
            "automation_id": automation_id,
            "resource_id": f"{DEPLOYMENT_PREFIX}{deployment_id}",
            "automation_owned_by_resource": False,
        }
        for deployment_id in sorted(set(deployment_ids))
    ]
    # A deployment that owns the automation is related already, and stays its owner.
    await insert_ignoring_duplicates(
        session, AutomationRelatedResource, rows, key=["automation_id", "resource_id"]
    )


async def relate_to_owner(session: AsyncSession, automation_id: UUID, resource_id: str) -> None:
    """Record that the resource owns the automation (a new automation: no relation yet)."""
    await session.execute(
        delete(AutomationRelatedResource)
        .where(
            AutomationRelatedResource.automation_id == automation_id,
            AutomationRelatedResource.resource_id == resource_id,
        )
        .execution_options(synchronize_session=False)
    )
    session.add(
        AutomationRelatedResource(
            id=uuid4(),
            automation_id=automation_id,
            resource_id=resource_id,
            automation_owned_by_resource=True,
        )
    )
    await session.flush()


def related_automation_ids(resource_id: str, *, owned: bool | None = None) -> Select[UUID]:
    """The ids of the automations related to a resource (owned by it, or not, if `owned`)."""
    related = select(AutomationRelatedResource.automation_id).where(
        AutomationRelatedResource.resource_id == resource_id
    )
    if owned is not None:
        related = related.where(AutomationRelatedResource.automation_owned_by_resource.is_(owned))
    return related
