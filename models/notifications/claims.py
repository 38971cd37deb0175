"""A delivery's attempts: claimed in one short transaction, recorded in another.

Between the two the sender talks to the receiver with no transaction open. The claim
takes a lease, so a second message for the same delivery (a redelivery, a replay) waits
instead of sending twice at once; recording the attempt releases it. A lease that expired
unreleased means the worker died mid-request: the next claim records that attempt as
interrupted before making its own, so the history stays complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import case, delete, insert, select, update

from models.block_documents import BlockData, read_block_data
from models.block_secrets import secret_values
from models.blocks import BlockDocument, BlockDocumentReference, BlockSchema, BlockType
from models.encryption import decrypt_data
from models.notifications.channels import ChannelName
from models.notifications.deliveries import Delivery, DeliveryAttempt, DeliveryLease
from models.notifications.outcomes import Answer, Decision, DeliveryStatus, Outcome, Verdict
from models.notifications.redaction import excerpt
from models.types import utcnow

if TYPE_CHECKING:
    from cryptography.fernet import Fernet
    from sqlalchemy.ext.asyncio import AsyncSession

#: The error class recorded for an attempt whose worker stopped before it was recorded.
INTERRUPTED: Final = "AttemptInterrupted"


@dataclass(frozen=True)
class Claim:
    """A delivery its holder may attempt now, with what the sender needs."""

    delivery_id: UUID
    channel: ChannelName
    subject: str
    body: str
    details: dict[str, Any]
    #: The block document's data, secrets in clear; None when the document was deleted.
    block: BlockData | None
    #: Recipients already delivered to or refused for good (multi-recipient channels).
    finished_targets: frozenset[str]
    #: How many recipients refused it for good in earlier attempts.
    refused_before: int
    #: When the delivery was created.
    created: datetime


@dataclass(frozen=True)
class Busy:
    """Another message holds the delivery's lease; try again after this long."""

    retry_in_ms: int


@dataclass(frozen=True)
class AttemptResult:
    """One request of an attempt: to whom, what came back, what it means."""

    target: str | None
    answer: Answer
    verdict: Verdict


async def claim_delivery(
    session: AsyncSession,
    delivery_id: UUID,
    *,
    holder: str,
    lease_seconds: float,
    fernet: Fernet,
) -> Claim | Busy | None:
    """Lease a pending delivery to `holder`; None when it is final or gone, Busy when held.

    On the hot path: one read (the delivery, its lease and its block, joined) and one insert.
    """
    has_references = (
        select(BlockDocumentReference.id)
        .where(BlockDocumentReference.parent_block_document_id == Delivery.block_document_id)
        .exists()
    )
    # Core statements on the session's connection: this runs for every attempt, and the ORM's
    # unit of work would cost more than the statements themselves.
    connection = await session.connection()
    row = (
        await connection.execute(
            select(
                Delivery.id,
                Delivery.status,
                Delivery.attempt_count,
                Delivery.channel,
                Delivery.subject,
                Delivery.body,
                Delivery.details,
                Delivery.created,
                Delivery.block_document_id,
                DeliveryLease.holder,
                DeliveryLease.attempt_number,
                DeliveryLease.expires,
                DeliveryLease.created.label("lease_created"),
                BlockDocument.encrypted_data,
                BlockSchema.fields,
                BlockType.slug,
                has_references.label("has_references"),
            )
            .outerjoin(DeliveryLease, DeliveryLease.delivery_id == Delivery.id)
            .outerjoin(BlockDocument, BlockDocument.id == Delivery.block_document_id)
            .outerjoin(BlockSchema, BlockSchema.id == BlockDocument.block_schema_id)
            .outerjoin(BlockType, BlockType.id == BlockDocument.block_type_id)
            .where(Delivery.id == delivery_id)
            # Two claims of one delivery are decided one after the other (SQLite's BEGIN
            # IMMEDIATE already serialises them).
            .with_for_update(of=Delivery)
        )
    ).one_or_none()
    if row is None or row.status != DeliveryStatus.PENDING:
        return None
    attempt_count = row.attempt_count
    now = utcnow()
    if row.holder is not None:
        if row.expires > now:
            return Busy(max(1, int((row.expires - now).total_seconds() * 1000)))
        attempt_count = await record_interrupted_attempt(
            session, delivery_id, row.attempt_number, row.lease_created, attempt_count
        )
    await connection.execute(
        insert(DeliveryLease).values(
            delivery_id=delivery_id,
            created=now,
            holder=holder,
            attempt_number=attempt_count + 1,
            expires=now + timedelta(seconds=lease_seconds),
        )
    )
    block = None
    if row.encrypted_data is not None and row.block_document_id is not None:
        if row.has_references:  # rare for a notification block: the full reader nests them
            block = await read_block_data(session, row.block_document_id, fernet)
        else:
            data = decrypt_data(fernet, row.encrypted_data)
            secrets = secret_values(data, (row.fields or {}).get("secret_fields", []))
            block = BlockData(row.slug, data, tuple(secret for secret in secrets if secret))
    finished: list[Any] = []
    if attempt_count:  # a first attempt has nothing finished yet
        finished = list(
            (
                await connection.execute(
                    select(DeliveryAttempt.target, DeliveryAttempt.outcome).where(
                        DeliveryAttempt.delivery_id == delivery_id,
                        DeliveryAttempt.target.is_not(None),
                        DeliveryAttempt.outcome.in_(
                            [Outcome.DELIVERED.value, Outcome.PERMANENT.value]
                        ),
                    )
                )
            ).all()
        )
    return Claim(
        delivery_id=row.id,
        channel=ChannelName(row.channel),
        subject=row.subject,
        body=row.body,
        details=dict(row.details or {}),
        block=block,
        finished_targets=frozenset(attempt.target for attempt in finished),
        refused_before=sum(1 for attempt in finished if attempt.outcome == Outcome.PERMANENT),
        created=row.created,
    )


async def record_interrupted_attempt(
    session: AsyncSession,
    delivery_id: UUID,
    lease_attempt_number: int,
    lease_created: datetime,
    attempt_count: int,
) -> int:
    """Record the attempt of a lease whose holder never came back, and drop the lease;
    returns the delivery's attempt count now."""
    number = max(lease_attempt_number, attempt_count + 1)
    now = utcnow()
    connection = await session.connection()
    await connection.execute(
        insert(DeliveryAttempt).values(
            id=uuid4(),
            created=now,
            delivery_id=delivery_id,
            number=number,
            outcome=Outcome.TRANSIENT.value,
            error_class=INTERRUPTED,
            duration_ms=(now - lease_created).total_seconds() * 1000,
            excerpt="The worker stopped before the receiver's answer was recorded.",
        )
    )
    await connection.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(attempt_count=number, last_error=INTERRUPTED, updated=now)
    )
    await connection.execute(delete(DeliveryLease).where(DeliveryLease.delivery_id == delivery_id))
    return number


async def record_attempt(
    session: AsyncSession,
    delivery_id: UUID,
    results: Sequence[AttemptResult],
    decision: Decision,
    *,
    holder: str,
    secrets: Sequence[str],
) -> None:
    """Keep every request of the attempt, move the delivery to its next status, release the lease.

    Excerpts of the receivers' answers are kept with every secret of the block blanked out.
    A final status is never overwritten (a replay may have raced this attempt).
    """
    now = utcnow()
    pending = Delivery.status == DeliveryStatus.PENDING.value
    changes: dict[str, Any] = {
        "attempt_count": Delivery.attempt_count + len(results),
        "updated": now,
        "status": case((pending, decision.status.value), else_=Delivery.status),
        "last_error": case((pending, decision.reason), else_=Delivery.last_error),
    }
    if decision.status is DeliveryStatus.DELIVERED:
        changes["delivered_at"] = case((pending, now), else_=Delivery.delivered_at)
    connection = await session.connection()  # Core on the hot path, as in claim_delivery
    last = (
        await connection.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(changes)
            .returning(Delivery.attempt_count)
        )
    ).scalar()
    if last is None:
        return  # deleted meanwhile (its flow run or policy went)
    if results:
        first = last - len(results) + 1
        await connection.execute(
            insert(DeliveryAttempt),
            [
                {
                    "id": uuid4(),
                    "created": now,
                    "delivery_id": delivery_id,
                    "number": first + offset,
                    "outcome": result.verdict.outcome.value,
                    "status_code": result.answer.status,
                    "error_class": result.answer.error_class,
                    "duration_ms": result.answer.duration_ms,
                    "excerpt": excerpt(result.answer.body, secrets),
                    "target": result.target,
                    "provider_id": result.verdict.provider_id,
                    "retry_after_ms": result.verdict.delay_ms,
                }
                for offset, result in enumerate(results)
            ],
        )
    await connection.execute(
        delete(DeliveryLease).where(
            DeliveryLease.delivery_id == delivery_id, DeliveryLease.holder == holder
        )
    )


async def mark_delivery_dead(session: AsyncSession, delivery_id: UUID, reason: str) -> bool:
    """Give up on a pending delivery; False when it was already final or is gone."""
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return False
    delivery.status = DeliveryStatus.DEAD.value
    delivery.last_error = reason
    delivery.updated = utcnow()
    await session.execute(delete(DeliveryLease).where(DeliveryLease.delivery_id == delivery_id))
    return True
