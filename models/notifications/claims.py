"""A delivery's attempts: claimed in one short transaction, recorded in another.

Between the two the sender talks to the receiver with no transaction open. The claim
takes a lease, so a second message for the same delivery (a redelivery, a replay) waits
instead of sending twice at once; recording the attempt releases it. A lease that expired
unreleased means the worker died mid-request: the next claim records that attempt as
interrupted before making its own, so the history stays complete.

Both run for every attempt, in `Database.write` (on SQLite, in the process's writer thread),
as the prebuilt statements of `attempt_statements`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import delete

from models.blocks.documents import BlockData
from models.blocks.encryption import decrypt_data
from models.blocks.secrets import secret_values
from models.db.dialect import writes_in_one_statement
from models.db.types import utcnow
from models.notifications.attempt_statements import (
    CLAIM_AND_LEASE,
    DELETE_LEASE,
    INSERT_ATTEMPTS,
    INSERT_LEASE,
    INTERRUPTED,
    MARK_INTERRUPTED,
    READ_FINISHED_TARGETS,
    READ_FOR_CLAIM,
    RECORD_DELIVERED,
    RECORD_NOT_DELIVERED,
    RECORD_ONE_DELIVERED,
    RECORD_ONE_NOT_DELIVERED,
    RELEASE_LEASE,
)
from models.notifications.channels import ChannelName
from models.notifications.deliveries import Delivery, DeliveryLease
from models.notifications.outcomes import (
    Answer,
    AttemptOutcome,
    DeliveryDecision,
    DeliveryStatus,
    Verdict,
)
from models.notifications.redaction import excerpt

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.blocks.encryption import BlockKey


@dataclass(frozen=True)
class SealedBlock:
    """A claimed delivery's block document as stored, opened after the claim's transaction
    (decrypting is CPU the write lock need not wait for)."""

    document_id: UUID
    block_type_slug: str
    encrypted_data: str
    secret_fields: tuple[str, ...]
    #: The document nests other documents: only the full reader can resolve them.
    has_references: bool


@dataclass(frozen=True)
class Claim:
    """A delivery its holder may attempt now, with what the sender needs."""

    delivery_id: UUID
    channel: ChannelName
    subject: str
    body: str
    details: dict[str, Any]
    #: The block document, still encrypted; None when the document was deleted.
    block: SealedBlock | None
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


def claim_delivery(
    session: Session, delivery_id: UUID, *, holder: str, lease_seconds: float
) -> Claim | Busy | None:
    """Lease a pending delivery to `holder`; None when it is final or gone, Busy when held.

    On the hot path: one read (the delivery, its lease and its block, joined) and one insert,
    both in one statement where the database can (`writes_in_one_statement`). For
    `Database.write`: the caller owns the transaction.
    """
    connection = session.connection()
    now = utcnow()
    expires = now + timedelta(seconds=lease_seconds)
    if writes_in_one_statement(connection.dialect.name):
        parameters = {"delivery_id": delivery_id, "now": now, "holder": holder, "expires": expires}
        row = connection.execute(CLAIM_AND_LEASE, parameters).one_or_none()
        leased = row is not None and row.leased
    else:
        row = connection.execute(READ_FOR_CLAIM, {"delivery_id": delivery_id}).one_or_none()
        leased = False
    if row is None or row.status != DeliveryStatus.PENDING:
        return None
    attempt_count = row.attempt_count
    if row.holder is not None:
        if row.expires > now:
            return Busy(max(1, int((row.expires - now).total_seconds() * 1000)))
        attempt_count = record_interrupted_attempt(
            session, delivery_id, row.attempt_number, row.lease_created, attempt_count
        )
    if not leased:
        connection.execute(
            INSERT_LEASE,
            {
                "delivery_id": delivery_id,
                "created": now,
                "holder": holder,
                "attempt_number": attempt_count + 1,
                "expires": expires,
            },
        )
    block = None
    if row.encrypted_data is not None and row.block_document_id is not None:
        block = SealedBlock(
            document_id=row.block_document_id,
            block_type_slug=row.slug,
            encrypted_data=row.encrypted_data,
            secret_fields=tuple((row.fields or {}).get("secret_fields", [])),
            has_references=bool(row.has_references),
        )
    finished: list[Any] = []
    if attempt_count:  # a first attempt has nothing finished yet
        finished = list(connection.execute(READ_FINISHED_TARGETS, {"delivery_id": delivery_id}))
    return Claim(
        delivery_id=row.id,
        channel=ChannelName(row.channel),
        subject=row.subject,
        body=row.body,
        details=dict(row.details or {}),
        block=block,
        finished_targets=frozenset(attempt.target for attempt in finished),
        refused_before=sum(
            1 for attempt in finished if attempt.outcome == AttemptOutcome.PERMANENT
        ),
        created=row.created,
    )


def open_block(block: SealedBlock, block_key: BlockKey) -> BlockData:
    """The claimed block's data with secrets in clear, for a block that nests no other
    (those need `read_block_data`, which resolves the nested documents)."""
    data = decrypt_data(block_key, block.encrypted_data)
    secrets = secret_values(data, block.secret_fields)
    return BlockData(block.block_type_slug, data, tuple(secret for secret in secrets if secret))


def record_interrupted_attempt(
    session: Session,
    delivery_id: UUID,
    lease_attempt_number: int,
    lease_created: datetime,
    attempt_count: int,
) -> int:
    """Record the attempt of a lease whose holder never came back, and drop the lease;
    returns the delivery's attempt count now."""
    number = max(lease_attempt_number, attempt_count + 1)
    now = utcnow()
    connection = session.connection()
    connection.execute(
        INSERT_ATTEMPTS,
        {
            "id": uuid4(),
            "created": now,
            "delivery_id": delivery_id,
            "number": number,
            "outcome": AttemptOutcome.TRANSIENT.value,
            "status_code": None,
            "error_class": INTERRUPTED,
            "duration_ms": (now - lease_created).total_seconds() * 1000,
            "excerpt": "The worker stopped before the receiver's answer was recorded.",
            "target": None,
            "provider_id": None,
            "retry_after_ms": None,
        },
    )
    connection.execute(MARK_INTERRUPTED, {"delivery_id": delivery_id, "number": number, "now": now})
    connection.execute(DELETE_LEASE, {"delivery_id": delivery_id})
    return number


def record_attempt(
    session: Session,
    delivery_id: UUID,
    results: Sequence[AttemptResult],
    decision: DeliveryDecision,
    *,
    holder: str,
    secrets: Sequence[str],
) -> None:
    """Keep every request of the attempt, move the delivery to its next status, release the lease.

    Excerpts of the receivers' answers (EXCERPT_CHARS at most) are kept for failed requests
    only, with every secret of the block blanked out.
    A final status is never overwritten (a replay may have raced this attempt). For
    `Database.write`: the caller owns the transaction.
    """
    now = utcnow()
    # Redacted before the statements, so the write lock is not held for it.
    rows = [
        {
            "id": uuid4(),
            "created": now,
            "delivery_id": delivery_id,
            "outcome": result.verdict.outcome.value,
            "status_code": result.answer.status,
            "error_class": result.answer.error_class,
            "duration_ms": result.answer.duration_ms,
            # Only a failure's answer is kept: a delivered GET's answer is the receiver's
            # content, which nobody asked Signalbox to store or show.
            "excerpt": None
            if result.verdict.outcome is AttemptOutcome.DELIVERED
            else excerpt(result.answer.body, secrets),
            "target": result.target,
            "provider_id": result.verdict.provider_id,
            "retry_after_ms": result.verdict.delay_ms,
        }
        for result in results
    ]
    delivered = decision.status is DeliveryStatus.DELIVERED
    connection = session.connection()
    parameters = {
        "delivery_id": delivery_id,
        "requests": len(results),
        "now": now,
        "next_status": decision.status.value,
        "reason": decision.reason,
    }
    if len(rows) == 1 and writes_in_one_statement(connection.dialect.name):
        statement = RECORD_ONE_DELIVERED if delivered else RECORD_ONE_NOT_DELIVERED
        attempt = {f"attempt_{name}": value for name, value in rows[0].items()}
        connection.execute(statement, {**parameters, **attempt, "holder": holder})
        return
    statement = RECORD_DELIVERED if delivered else RECORD_NOT_DELIVERED
    last = connection.execute(statement, parameters).scalar()
    if last is None:
        return  # deleted meanwhile (its flow run or policy went)
    if rows:
        first = last - len(rows) + 1
        for offset, row in enumerate(rows):
            row["number"] = first + offset
        connection.execute(INSERT_ATTEMPTS, rows)
    connection.execute(RELEASE_LEASE, {"delivery_id": delivery_id, "holder": holder})


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
