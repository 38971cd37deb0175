"""The outbox: messages for the actors, written in the transaction whose side effects they are.

A route that commits a flow-run state also owes the actors its announcement. Sent to Redis
after the commit, the announcement is lost if Redis is away at that moment or the process
dies in between; written here in the same transaction as the state, it is durable exactly
when the state is. The API's relay (`api.outbox`) sends each row to Redis and then deletes
it, and sweeps up rows whose fast send failed. A row may be sent more than once (a delete
that did not happen, two API processes sweeping the same rows): every actor it names is
idempotent, so a repeat changes nothing.

Synchronous queries: they run on the group-commit writer's sessions (`Database.write`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import JSON, String, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Id
from models.db.dialect import per_dialect
from models.db.driver_rows import DriverRows
from models.db.types import utcnow
from models.messages.announcements import ANNOUNCING_ACTOR

if TYPE_CHECKING:
    from collections.abc import Collection

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.messages.announcements import Announcement


class OutboxMessage(Base):
    """One message owed to an actor whose argument is a list of items (a batch actor)."""

    __tablename__ = "outbox_message"

    id: Mapped[Id]
    #: The Dramatiq actor the message is for (`Actor.actor_name`).
    actor_name: Mapped[str] = mapped_column(String(128))
    #: The actor's one argument: the list of items, as JSON.
    argument: Mapped[list[Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    #: When its transaction wrote it; the sweep relays only rows older than a few seconds.
    created: Mapped[datetime] = mapped_column(default=utcnow, index=True)


_outbox = Base.metadata.tables["outbox_message"]
#: Built once: `insert(OutboxMessage).values(...)` per call went through the ORM's bulk
#: insert and a fresh cache key each time, a third of the API's CPU under transitions.
INSERT_OUTBOX_MESSAGE: Final = DriverRows(per_dialect(lambda _: _outbox.insert()), _outbox)


def add_announcements(session: Session, announcements: list[Announcement]) -> UUID | None:
    """Write flow-run announcements for `announce_flow_run_states` in the session's
    transaction; the row's id, or None when there is nothing to announce."""
    if not announcements:
        return None
    return add_outbox_message(session, ANNOUNCING_ACTOR, list(announcements))


def add_outbox_message(session: Session, actor_name: str, argument: list[Any]) -> UUID:
    """Write a message for `actor_name` in the session's transaction; its id, for the delete.

    The id is made here, so a unit of work the group commit runs twice writes one row.
    """
    message_id = uuid4()
    INSERT_OUTBOX_MESSAGE.execute(
        session.connection(),
        [{"id": message_id, "actor_name": actor_name, "argument": argument, "created": utcnow()}],
    )
    return message_id


async def read_waiting_outbox_messages(
    session: AsyncSession, older_than: timedelta, limit: int
) -> list[OutboxMessage]:
    """The oldest messages written more than `older_than` ago, at most `limit` of them.

    Younger ones are most likely being relayed by the request that wrote them.
    """
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.created < utcnow() - older_than)
        .order_by(OutboxMessage.created)
        .limit(limit)
    )
    return list(rows)


def delete_outbox_messages(session: Session, message_ids: Collection[UUID]) -> None:
    """Forget messages that are on Redis; ids already deleted (by another sweep) are no-ops."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(list(message_ids))))


async def count_outbox_messages(session: AsyncSession) -> int:
    """How many messages wait in the outbox (for tests and the operator)."""
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
