"""Saved searches: named sets of filters the UI keeps for its users."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Name, Updated
from models.db.dialect import insert_ignoring_duplicates
from models.errors import ObjectNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.saved_searches import SavedSearchCreate, SavedSearchFilterBody

#: What the reference answers (404) for an unknown saved search.
NOT_FOUND_DETAIL: Final = "Saved search not found"


class SavedSearch(Base):
    """A named list of filters (object, property, type, operation, value)."""

    __tablename__ = "saved_search"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    filters: Mapped[list[Any]] = mapped_column(default=list)


async def save_search(
    session: AsyncSession, body: SavedSearchCreate, now: datetime
) -> tuple[SavedSearch, bool]:
    """The search saved under its name (its filters replaced if the name is taken), and
    whether it is new."""
    filters = [item.model_dump(mode="json") for item in body.filters]
    row = {"id": uuid4(), "created": now, "updated": now, "name": body.name, "filters": filters}
    created = await insert_ignoring_duplicates(session, SavedSearch, [row], key=["name"]) > 0
    if not created:
        await session.execute(
            update(SavedSearch)
            .where(SavedSearch.name == body.name)
            .values(filters=filters, updated=now)
            .execution_options(synchronize_session=False)
        )
    saved = await session.scalar(
        select(SavedSearch)
        .where(SavedSearch.name == body.name)
        .execution_options(populate_existing=True)
    )
    assert saved is not None  # inserted or updated just now, in this transaction
    return saved, created


async def read_saved_search(session: AsyncSession, saved_search_id: UUID) -> SavedSearch:
    """The saved search with that id; raises ObjectNotFound."""
    saved = await session.get(SavedSearch, saved_search_id)
    if saved is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return saved


async def filter_saved_searches(
    session: AsyncSession, body: SavedSearchFilterBody
) -> list[SavedSearch]:
    """One page of saved searches, by name."""
    return list(await session.scalars(body.page(select(SavedSearch).order_by(SavedSearch.name))))


async def delete_saved_search(session: AsyncSession, saved_search_id: UUID) -> None:
    """Delete a saved search; raises ObjectNotFound."""
    result = await session.execute(
        delete(SavedSearch)
        .where(SavedSearch.id == saved_search_id)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]  # a DELETE's result has one
        raise ObjectNotFound(NOT_FOUND_DETAIL)
