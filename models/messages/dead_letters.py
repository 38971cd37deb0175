"""Dead letters: queue messages that could not be processed, kept with the reason why.

A dead letter must take any message, and a message that failed is often one holding what
a database refuses: PostgreSQL's JSONB holds no NUL character (not even as `\\u0000`) and
no NaN or Infinity. Such a message is kept twice: readable in `message` (a NUL shown as
U+FFFD, NaN and Infinity as text), which listings and queries read, and exactly as it was in
`message_text`, as JSON text, which a replay sends.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import Index, String, Text, delete, func, select
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
    #: The message, readable; where it held what JSONB cannot, see `message_text`.
    message: Mapped[dict[str, Any]]
    #: The message exactly as it failed, as JSON text, when `message` differs from it.
    message_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    first_failed: Mapped[datetime]
    last_failed: Mapped[datetime]
    failure_count: Mapped[int] = mapped_column(default=1)
    replay_count: Mapped[int] = mapped_column(default=0)
    replayed_at: Mapped[datetime | None]

    @property
    def original_message(self) -> dict[str, Any]:
        """The message exactly as it failed: what a replay sends."""
        if self.message_text is None:
            return self.message
        original: dict[str, Any] = json.loads(self.message_text)
        return original


def storable_message(message: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The message as `message` keeps it, and its exact JSON text when that differs."""
    try:
        text = json.dumps(message, allow_nan=False)
    except ValueError:  # NaN or Infinity, which JSON text writes only as Python's words
        return readable_value(message), json.dumps(message)
    if "\\u0000" not in text:  # how JSON text writes a NUL
        return message, None
    return readable_value(message), text


def readable_value(value: Any) -> Any:
    """`value` with every NUL as U+FFFD and every NaN or Infinity as its text."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {readable_value(key): readable_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [readable_value(item) for item in value]
    return value


async def record_dead_letter(
    session: AsyncSession,
    *,
    message_id: str,
    queue_name: str,
    actor_name: str,
    message: dict[str, Any],
    reason: str,
) -> None:
    """Keep a message that failed for good; the same message failing again updates its row.

    Any message and any reason are kept, whatever characters they hold (see the module).
    """
    now = utcnow()
    message, message_text = storable_message(message)
    reason = reason.replace("\x00", "\ufffd")
    insert = dialect_insert(session, DeadLetter).values(
        id=uuid4(),
        created=now,
        message_id=message_id,
        queue_name=queue_name,
        actor_name=actor_name,
        message=message,
        message_text=message_text,
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
                "message_text": message_text,
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


async def count_dead_letters(session: AsyncSession) -> dict[str, int]:
    """How many dead letters each queue holds, by queue name (a queue without any is left out)."""
    rows = await session.execute(
        select(DeadLetter.queue_name, func.count())
        .group_by(DeadLetter.queue_name)
        .order_by(DeadLetter.queue_name)
    )
    return {queue: count for queue, count in rows}


async def read_dead_letter(session: AsyncSession, dead_letter_id: UUID) -> DeadLetter:
    """The dead letter with this id; raises ObjectNotFound."""
    letter = await session.get(DeadLetter, dead_letter_id)
    if letter is None:
        raise ObjectNotFound(f"No dead letter {dead_letter_id}.")
    return letter


async def mark_replayed(session: AsyncSession, dead_letter: DeadLetter) -> None:
    dead_letter.replay_count += 1
    dead_letter.replayed_at = utcnow()


async def count_dead_letters_by_queue(session: AsyncSession) -> dict[str, int]:
    """How many dead letters each queue has, by queue name."""
    rows = await session.execute(
        select(DeadLetter.queue_name, func.count()).group_by(DeadLetter.queue_name)
    )
    return {queue: count for queue, count in sorted(rows.tuples())}


async def purge_dead_letters(session: AsyncSession, queue_name: str) -> int:
    """Forget every dead letter of a queue (they are never replayed); how many there were."""
    result = await session.execute(delete(DeadLetter).where(DeadLetter.queue_name == queue_name))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
