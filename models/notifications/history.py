"""Reading deliveries and their attempts: per flow run, per notification policy, by status,
and the channels whose deliveries fail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import func, select

from models.errors import ObjectNotFound
from models.notifications.deliveries import Delivery, DeliveryAttempt

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.deliveries import DeliveryFilterBody

#: A delivery with its attempts in order (None when they were not asked for).
DeliveryHistory = tuple[Delivery, list[DeliveryAttempt] | None]
#: The statuses of a delivery that will not reach its receiver unless replayed.
FAILED_STATUSES: Final = ("failed", "dead")


@dataclass(frozen=True)
class FailingChannel:
    """A channel whose deliveries failed: how many since some time, and the latest of them."""

    channel: str
    failed: int
    last_failed: datetime
    last_error: str | None


async def read_deliveries(
    session: AsyncSession,
    *,
    flow_run_id: UUID | None = None,
    policy_id: UUID | None = None,
    automation_id: UUID | None = None,
    statuses: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Delivery]:
    """Deliveries matching every criterion given, newest first."""
    query = select(Delivery)
    if flow_run_id is not None:
        query = query.where(Delivery.flow_run_id == flow_run_id)
    if policy_id is not None:
        query = query.where(Delivery.policy_id == policy_id)
    if automation_id is not None:
        query = query.where(Delivery.automation_id == automation_id)
    if statuses:
        query = query.where(Delivery.status.in_(statuses))
    if channels:
        query = query.where(Delivery.channel.in_(channels))
    query = query.order_by(Delivery.created.desc(), Delivery.id).limit(limit).offset(offset)
    return list(await session.scalars(query))


async def read_delivery(session: AsyncSession, delivery_id: UUID) -> Delivery:
    """One delivery; raises ObjectNotFound."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        raise ObjectNotFound("Delivery not found")
    return delivery


async def read_attempts(
    session: AsyncSession, delivery_ids: Sequence[UUID]
) -> dict[UUID, list[DeliveryAttempt]]:
    """The attempts of each delivery, in order."""
    found: dict[UUID, list[DeliveryAttempt]] = {delivery_id: [] for delivery_id in delivery_ids}
    if not delivery_ids:
        return found
    attempts = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number)
    )
    for attempt in attempts:
        found[attempt.delivery_id].append(attempt)
    return found


async def filter_deliveries(
    session: AsyncSession,
    body: DeliveryFilterBody,
    *,
    flow_run_id: UUID | None = None,
    policy_id: UUID | None = None,
) -> list[DeliveryHistory]:
    """The deliveries matching a filter body, newest first, with their attempts when it asks.

    `flow_run_id` and `policy_id` (from the path) take the place of the body's own.
    """
    deliveries = await read_deliveries(
        session,
        flow_run_id=flow_run_id or body.flow_run_id,
        policy_id=policy_id or body.policy_id,
        statuses=body.statuses,
        channels=[channel.value for channel in body.channels or []],
        limit=body.limit,
        offset=body.offset,
    )
    if not body.include_attempts:
        return [(delivery, None) for delivery in deliveries]
    attempts = await read_attempts(session, [delivery.id for delivery in deliveries])
    return [(delivery, attempts[delivery.id]) for delivery in deliveries]


async def read_delivery_history(session: AsyncSession, delivery_id: UUID) -> DeliveryHistory:
    """One delivery with every attempt; raises ObjectNotFound."""
    delivery = await read_delivery(session, delivery_id)
    attempts = await read_attempts(session, [delivery.id])
    return delivery, attempts[delivery.id]


async def read_failing_channels(session: AsyncSession, since: datetime) -> list[FailingChannel]:
    """The channels with deliveries made since `since` that failed for good (a permanent
    answer, or retries exhausted), most failures first, each with its latest error."""
    failed = (
        select(
            Delivery.channel,
            Delivery.updated,
            Delivery.last_error,
            func.count().over(partition_by=Delivery.channel).label("failed"),
            func.row_number()
            .over(partition_by=Delivery.channel, order_by=Delivery.updated.desc())
            .label("recency"),
        )
        .where(Delivery.status.in_(FAILED_STATUSES), Delivery.created >= since)
        .subquery()
    )
    rows = await session.execute(
        select(failed.c.channel, failed.c.failed, failed.c.updated, failed.c.last_error)
        .where(failed.c.recency == 1)
        .order_by(failed.c.failed.desc(), failed.c.channel)
    )
    return [FailingChannel(*row) for row in rows]
