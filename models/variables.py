"""Variables: small named JSON values that flows read and write."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Name, Updated
from models.db.dialect import insert_ignoring_duplicates
from models.errors import ObjectAlreadyExists, ObjectNotFound
from models.filters.base import count_matching, list_matching

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.variables import VariableCountBody, VariableFilterBody

#: What the reference answers (404) for an unknown variable.
NOT_FOUND_DETAIL: Final = "Variable not found."


class Variable(Base):
    """A named JSON value."""

    __tablename__ = "variable"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    value: Mapped[Any | None]
    tags: Mapped[list[str]] = mapped_column(default=list)


def already_exists(name: str) -> ObjectAlreadyExists:
    return ObjectAlreadyExists(f"A variable with the name {name!r} already exists.")


def identified_by(id_or_name: UUID | str) -> ColumnElement[bool]:
    """A variable by id (a UUID) or by name (a string)."""
    if isinstance(id_or_name, UUID):
        return Variable.id == id_or_name
    return Variable.name == id_or_name


async def create_variable(session: AsyncSession, values: dict[str, Any], now: datetime) -> Variable:
    """A new variable; raises ObjectAlreadyExists when the name is taken."""
    row = {"id": uuid4(), "created": now, "updated": now, **values}
    if not await insert_ignoring_duplicates(session, Variable, [row], key=["name"]):
        raise already_exists(values["name"])
    return await read_variable(session, row["id"])


async def read_variable(session: AsyncSession, id_or_name: UUID | str) -> Variable:
    """The variable with that id or name; raises ObjectNotFound."""
    variable = await session.scalar(
        select(Variable).where(identified_by(id_or_name)).execution_options(populate_existing=True)
    )
    if variable is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return variable


async def update_variable(
    session: AsyncSession, id_or_name: UUID | str, changes: dict[str, Any], now: datetime
) -> None:
    """Set the columns in `changes`; raises ObjectNotFound, or ObjectAlreadyExists on rename."""
    if "name" in changes:
        taken = await session.scalar(
            select(Variable.id).where(Variable.name == changes["name"], ~identified_by(id_or_name))
        )
        if taken is not None:
            raise already_exists(changes["name"])
    result = await session.execute(
        update(Variable)
        .where(identified_by(id_or_name))
        .values(**changes, updated=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ObjectNotFound(NOT_FOUND_DETAIL)


async def delete_variable(session: AsyncSession, id_or_name: UUID | str) -> None:
    """Delete a variable; raises ObjectNotFound."""
    result = await session.execute(
        delete(Variable)
        .where(identified_by(id_or_name))
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ObjectNotFound(NOT_FOUND_DETAIL)


async def filter_variables(session: AsyncSession, body: VariableFilterBody) -> list[Variable]:
    """The variables matching a filter body, sorted and paged."""
    return await list_matching(session, select(Variable), body)


async def count_variables(session: AsyncSession, body: VariableCountBody) -> int:
    """How many variables match a filter body."""
    return await count_matching(session, Variable.id, body)
