"""Dead letters: queue messages that could not be processed, kept with the reason why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id
from models.db.dialect import dialect_insert
from models.db.types import utcnow
from models.errors import ObjectNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class DeadLetter(Base):
    """A message that could not be parsed or ran out of retries; it can be replayed."""

    __tablename__ = "dead_letter"
    __table_args__ = (Index("ix_dead_letter_queue_name_last_failed", "queue_name", "last_failed"),)

    id: Mapped[Id]
    created: Mapped[Created]
    #: Dramatiq's message id: the same message failing again updates its row.
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue_name: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128))
    message: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    first_failed: Mapped[datetime]
    last_failed: Mapped[datetime]
    failure_count: Mapped[int] = mapped_column(default=1)
    replay_count: Mapped[int] = mapped_column(default=0)
    replayed_at: Mapped[datetime | None]


async def record_dead_letter(
    session: AsyncSession,
    *,
    message_id: str,
    queue_name: str,
    actor_name: str,
    message: dict[str, Any],
    reason: str,
) -> None:
    """Keep a message that failed for good; the same message failing again updates its row."""
    now = utcnow()
    insert = dialect_insert(session, DeadLetter).values(
        id=uuid4(),
        created=now,
        message_id=message_id,
        queue_name=queue_name,
        actor_name=actor_name,
        message=message,
        reason=reason,
        first_failed=now,
        last_failed=now,
        failure_count=1,
        replay_count=0,
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["message_id"],
            set_={
                "reason": reason,
                "message": message,
                "last_failed": now,
                "failure_count": DeadLetter.failure_count + 1,
            },
        )
    )


async def list_dead_letters(
    session: AsyncSession, *, queue_name: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """The most recent dead letters first, of one queue or all."""
    statement = select(DeadLetter).order_by(DeadLetter.last_failed.desc()).limit(limit)
    if queue_name is not None:
        statement = statement.where(DeadLetter.queue_name == queue_name)
    return list(await session.scalars(statement))


async def read_dead_letter(session: AsyncSession, dead_letter_id: UUID) -> DeadLetter:
    """The dead letter with this id; raises ObjectNotFound."""
    letter = await session.get(DeadLetter, dead_letter_id)
    if letter is None:
        raise ObjectNotFound(f"No dead letter {dead_letter_id}.")
    return letter


async def mark_replayed(session: AsyncSession, dead_letter: DeadLetter) -> None:
    dead_letter.replay_count += 1
    dead_letter.replayed_at = utcnow()
