"""The prebuilt Core statements that claim a delivery and record its attempts.

Built once here and executed with bound parameters: building an ORM or even a Core
statement per call, and computing its cache key, cost more CPU than the statements
themselves. On PostgreSQL, where every round trip costs the worker CPU, the claim and the
record of a one-request attempt are each a single statement (data-modifying WITH).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import bindparam, case, delete, exists, insert, select, update

from models.blocks.tables import BlockDocument, BlockDocumentReference, BlockSchema, BlockType
from models.notifications.deliveries import Delivery, DeliveryAttempt, DeliveryLease
from models.notifications.outcomes import AttemptOutcome, DeliveryStatus

if TYPE_CHECKING:
    from sqlalchemy import Table

#: The error class recorded for an attempt whose worker stopped before it was recorded.
INTERRUPTED: Final = "AttemptInterrupted"

# Core on the tables, not the mapped classes: an ORM-enabled statement, even executed on a
# connection, goes through the ORM's compile step on every call.
deliveries = cast("Table", Delivery.__table__)
attempts = cast("Table", DeliveryAttempt.__table__)
leases = cast("Table", DeliveryLease.__table__)
documents = cast("Table", BlockDocument.__table__)
schemas = cast("Table", BlockSchema.__table__)
block_types = cast("Table", BlockType.__table__)
references = cast("Table", BlockDocumentReference.__table__)

#: The claim's read: the delivery, its lease and its block, joined. FOR UPDATE (PostgreSQL)
#: decides two claims of one delivery one after the other; SQLite's BEGIN IMMEDIATE
#: already serialises them.
READ_FOR_CLAIM: Final = (
    select(
        deliveries.c.id,
        deliveries.c.status,
        deliveries.c.attempt_count,
        deliveries.c.channel,
        deliveries.c.subject,
        deliveries.c.body,
        deliveries.c.details,
        deliveries.c.created,
        deliveries.c.block_document_id,
        leases.c.holder,
        leases.c.attempt_number,
        leases.c.expires,
        leases.c.created.label("lease_created"),
        documents.c.encrypted_data,
        schemas.c.fields,
        block_types.c.slug,
        select(references.c.id)
        .where(references.c.parent_block_document_id == deliveries.c.block_document_id)
        .exists()
        .label("has_references"),
    )
    .select_from(
        deliveries.outerjoin(leases, leases.c.delivery_id == deliveries.c.id)
        .outerjoin(documents, documents.c.id == deliveries.c.block_document_id)
        .outerjoin(schemas, schemas.c.id == documents.c.block_schema_id)
        .outerjoin(block_types, block_types.c.id == documents.c.block_type_id)
    )
    .where(deliveries.c.id == bindparam("delivery_id"))
    .with_for_update(of=deliveries)
)
#: Recipients an earlier attempt delivered to or was refused by for good.
READ_FINISHED_TARGETS: Final = select(attempts.c.target, attempts.c.outcome).where(
    attempts.c.delivery_id == bindparam("delivery_id"),
    attempts.c.target.is_not(None),
    attempts.c.outcome.in_([AttemptOutcome.DELIVERED.value, AttemptOutcome.PERMANENT.value]),
)
INSERT_LEASE: Final = insert(leases)
INSERT_ATTEMPTS: Final = insert(attempts)
DELETE_LEASE: Final = delete(leases).where(leases.c.delivery_id == bindparam("delivery_id"))
#: Releases the lease only if the attempt being recorded still holds it.
RELEASE_LEASE: Final = delete(leases).where(
    leases.c.delivery_id == bindparam("delivery_id"),
    leases.c.holder == bindparam("holder"),
)
MARK_INTERRUPTED: Final = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("delivery_id"))
    .values(
        attempt_count=bindparam("number", type_=deliveries.c.attempt_count.type),
        last_error=INTERRUPTED,
        updated=bindparam("now", type_=deliveries.c.updated.type),
    )
)


def recording_statement(delivered: bool) -> Any:
    """The UPDATE that counts an attempt's requests and moves the delivery to its next
    status; a final status is never overwritten (a replay may have raced the attempt)."""
    pending = deliveries.c.status == DeliveryStatus.PENDING.value
    now = bindparam("now", type_=deliveries.c.updated.type)
    changes: dict[str, Any] = {
        "attempt_count": deliveries.c.attempt_count
        + bindparam("requests", type_=deliveries.c.attempt_count.type),
        "updated": now,
        "status": case(
            (pending, bindparam("next_status", type_=deliveries.c.status.type)),
            else_=deliveries.c.status,
        ),
        "last_error": case(
            (pending, bindparam("reason", type_=deliveries.c.last_error.type)),
            else_=deliveries.c.last_error,
        ),
    }
    if delivered:
        changes["delivered_at"] = case((pending, now), else_=deliveries.c.delivered_at)
    return (
        update(deliveries)
        .where(deliveries.c.id == bindparam("delivery_id"))
        .values(changes)
        .returning(deliveries.c.attempt_count)
    )


RECORD_DELIVERED: Final = recording_statement(delivered=True)
RECORD_NOT_DELIVERED: Final = recording_statement(delivered=False)
#: The attempt row's columns but its number, which comes from the delivery's new count.
ATTEMPT_COLUMNS: Final = tuple(column.name for column in attempts.c if column.name != "number")


def recording_in_one_statement(delivered: bool) -> Any:
    """An attempt of one request recorded in one statement (PostgreSQL's data-modifying
    WITH): the count moved, the attempt row inserted, the lease released. Three round trips
    become one, and on PostgreSQL each costs the worker more CPU than the work it carries."""
    recorded = recording_statement(delivered).cte("recorded")
    attempt = select(
        # Prefixed: a parameter named like a delivery column would join the UPDATE's SET.
        *(bindparam(f"attempt_{name}", type_=attempts.c[name].type) for name in ATTEMPT_COLUMNS),
        recorded.c.attempt_count,
    )
    inserted = insert(attempts).from_select([*ATTEMPT_COLUMNS, "number"], attempt).cte("inserted")
    released = RELEASE_LEASE.cte("released")
    return select(recorded.c.attempt_count).add_cte(inserted, released)


RECORD_ONE_DELIVERED: Final = recording_in_one_statement(delivered=True)
RECORD_ONE_NOT_DELIVERED: Final = recording_in_one_statement(delivered=False)


def claiming_in_one_statement() -> Any:
    """The claim's read and its lease in one statement: the lease is inserted only for a
    pending delivery nobody holds, and `leased` says whether it was. The rest (a final
    delivery, a lease still held or expired) is decided from the row as before."""
    claimed = READ_FOR_CLAIM.cte("claimed")
    lease = select(
        claimed.c.id,
        bindparam("now", type_=leases.c.created.type),
        bindparam("holder", type_=leases.c.holder.type),
        claimed.c.attempt_count + 1,
        bindparam("expires", type_=leases.c.expires.type),
    ).where(claimed.c.status == DeliveryStatus.PENDING.value, claimed.c.holder.is_(None))
    leased = (
        insert(leases)
        .from_select(["delivery_id", "created", "holder", "attempt_number", "expires"], lease)
        .returning(leases.c.delivery_id)
        .cte("leased")
    )
    return select(claimed, exists(select(leased.c.delivery_id)).label("leased"))


CLAIM_AND_LEASE: Final = claiming_in_one_statement()
