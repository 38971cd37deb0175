"""Flow-run inputs: keyed text values a flow run waits for, receives, or describes itself with.

`pause_flow_run(wait_for_input=...)` stores the schema of the input it waits for under its
pause's keyset (`paused-1-schema`), and resuming stores the validated answer under
`paused-1-response`. `send_input` / `receive_input` use the same table as a mailbox: keys
share a prefix, and a receiver lists what it has not seen yet, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Text, UniqueConstraint, Uuid, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Updated
from models.db.dialect import ignoring_duplicates, insert_ignoring_duplicates
from models.db.types import utcnow
from models.errors import ObjectAlreadyExists, ObjectNotFound
from models.runs.flow_runs import NOT_FOUND_DETAIL as FLOW_RUN_NOT_FOUND
from models.runs.flow_runs import FlowRun

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

#: What the reference answers (404) for an unknown key.
NOT_FOUND_DETAIL: Final = "Flow run input not found"
#: What the reference answers (409) for a key the run already has.
ALREADY_EXISTS_DETAIL: Final = "A flow run input with this key already exists."
#: The columns that name one input.
KEY_COLUMNS: Final = ("flow_run_id", "key")


class FlowRunInput(Base):
    """One keyed value of a flow run; a key names one value per run."""

    __tablename__ = "flow_run_input"
    __table_args__ = (UniqueConstraint("flow_run_id", "key"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    flow_run_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("flow_run.id", ondelete="CASCADE"))
    key: Mapped[str]
    value: Mapped[str] = mapped_column(Text())
    sender: Mapped[str | None]


def input_row(flow_run_id: UUID, key: str, value: str, sender: str | None) -> dict[str, object]:
    now = utcnow()
    return {
        "id": uuid4(),
        "created": now,
        "updated": now,
        "flow_run_id": flow_run_id,
        "key": key,
        "value": value,
        "sender": sender,
    }


async def create_flow_run_input(
    session: AsyncSession, flow_run_id: UUID, key: str, value: str, sender: str | None
) -> None:
    """Store a value under `key`; ObjectNotFound without the run, ObjectAlreadyExists if taken."""
    if await session.scalar(select(FlowRun.id).where(FlowRun.id == flow_run_id)) is None:
        raise ObjectNotFound(FLOW_RUN_NOT_FOUND)
    row = input_row(flow_run_id, key, value, sender)
    if not await insert_ignoring_duplicates(session, FlowRunInput, [row], key=KEY_COLUMNS):
        raise ObjectAlreadyExists(ALREADY_EXISTS_DETAIL)


async def read_flow_run_input(session: AsyncSession, flow_run_id: UUID, key: str) -> str:
    """The value stored under `key`; raises ObjectNotFound."""
    value = await session.scalar(
        select(FlowRunInput.value).where(
            FlowRunInput.flow_run_id == flow_run_id, FlowRunInput.key == key
        )
    )
    if value is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return value


async def filter_flow_run_inputs(
    session: AsyncSession, flow_run_id: UUID, prefix: str, limit: int, exclude_keys: Sequence[str]
) -> list[FlowRunInput]:
    """The run's inputs whose key starts with `prefix`, but for `exclude_keys`, oldest first.

    A receiver passes the keys it has already seen, so each call brings what is new.
    """
    query = (
        select(FlowRunInput)
        .where(
            FlowRunInput.flow_run_id == flow_run_id,
            # A prefix is literal text: `_` and `%` in a key match only themselves.
            FlowRunInput.key.startswith(prefix, autoescape=True),
        )
        .order_by(FlowRunInput.created, FlowRunInput.id)
        .limit(limit)
    )
    if exclude_keys:
        query = query.where(FlowRunInput.key.not_in(exclude_keys))
    return list(await session.scalars(query))


async def delete_flow_run_input(session: AsyncSession, flow_run_id: UUID, key: str) -> None:
    """Delete the value stored under `key`; raises ObjectNotFound."""
    result = await session.execute(
        delete(FlowRunInput)
        .where(FlowRunInput.flow_run_id == flow_run_id, FlowRunInput.key == key)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ObjectNotFound(NOT_FOUND_DETAIL)


# The writer thread's side (synchronous sessions): what a pause or a resume stores.


def read_flow_run_input_now(session: Session, flow_run_id: UUID, key: str) -> str | None:
    """The value stored under `key`, or None, in a synchronous session."""
    return session.scalar(
        select(FlowRunInput.value).where(
            FlowRunInput.flow_run_id == flow_run_id, FlowRunInput.key == key
        )
    )


def store_flow_run_input_now(session: Session, flow_run_id: UUID, key: str, value: str) -> bool:
    """Store a value under `key` unless the run has one there; False when it had."""
    row = input_row(flow_run_id, key, value, None)
    inserted = session.execute(ignoring_duplicates(session, FlowRunInput, KEY_COLUMNS), [row])
    return bool(inserted.all())


def forget_flow_run_inputs(session: Session, flow_run_id: UUID, keys: Iterable[str]) -> None:
    """Delete the run's values under `keys`, in a synchronous session.

    A pause that fires again (a rescheduled run starting over) must not find the schema
    and the answer of the attempt before it.
    """
    keys = list(keys)
    if keys:
        session.execute(
            delete(FlowRunInput)
            .where(FlowRunInput.flow_run_id == flow_run_id, FlowRunInput.key.in_(keys))
            .execution_options(synchronize_session=False)
        )
