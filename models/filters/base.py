"""The frame every filter shares: operators, how criteria combine, paging a filter body, and
listing or counting what a body matches."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true

from models.errors import InvalidRequest

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import InstrumentedAttribute

Row = TypeVar("Row")

#: Objects a filter call returns when the body says nothing (or null) about `limit`.
DEFAULT_LIMIT: Final = 200
#: The most a filter call returns; a larger `limit` is refused, as the reference does.
MAX_LIMIT: Final = 200
#: What the reference answers (422) for a `limit` above MAX_LIMIT; clients show it.
INVALID_LIMIT_DETAIL: Final = f"Invalid limit: must be less than or equal to {MAX_LIMIT}."
#: The largest OFFSET we bind: SQLAlchemy casts it to a 32-bit INTEGER on PostgreSQL.
MAX_OFFSET: Final = 2**31 - 1


class Operator(StrEnum):
    """How the criteria of one filter combine."""

    and_ = "and_"
    or_ = "or_"


class FilterModel(BaseModel):
    """A part of a filter. Unknown keys are refused: a filter we cannot apply must not
    silently match everything."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def combine(
    operator: Operator, clauses: Iterable[ColumnElement[bool] | None]
) -> ColumnElement[bool] | None:
    """The clauses joined by the operator; None (no criteria at all) when there are none.

    A criterion that says nothing is left out rather than counted as TRUE, so an empty
    criterion inside an `or_` does not make the whole filter match everything.
    """
    present = [clause for clause in clauses if clause is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return and_(*present) if operator is Operator.and_ else or_(*present)


class ObjectFilter(FilterModel):
    """Criteria on one kind of object (flow runs, logs...), combined by `operator`."""

    operator: Operator = Operator.and_

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        """One clause per criterion given (None for one that says nothing)."""
        raise NotImplementedError

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        """The whole filter as one clause, or None when it has no criteria."""
        return combine(self.operator, self.clauses(dialect))

    def where(self, dialect: str) -> ColumnElement[bool]:
        """The whole filter as a where-clause; TRUE when it has no criteria."""
        clause = self.clause(dialect)
        return true() if clause is None else clause


class FilterBody(BaseModel):
    """What every POST /api/<objects>/filter and /count body has in common.

    Unknown top-level keys are ignored and a null means "not given": the client sends
    `"flows": null, "sort": null, "limit": null` for what it leaves out.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def null_is_not_given(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    def where(self, dialect: str) -> ColumnElement[bool]:
        """Every criterion of the body as one where-clause; TRUE when it has none."""
        raise NotImplementedError


class PagedFilterBody(FilterBody):
    """A filter body that returns a page of objects."""

    #: Validated to at most MAX_LIMIT: a larger one raises InvalidRequest (the API's 422
    #: with the reference's detail), not a ValidationError.
    limit: int = Field(default=DEFAULT_LIMIT, ge=0)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @field_validator("limit", mode="after")
    @classmethod
    def limit_within_maximum(cls, value: int) -> int:
        # Pydantic lets exceptions other than ValueError through unchanged, so this one
        # reaches the API's error middleware as itself.
        if value > MAX_LIMIT:
            raise InvalidRequest(INVALID_LIMIT_DETAIL)
        return value

    def skipped(self) -> int:
        """How many matching rows come before the requested page."""
        return self.offset

    def page(self, statement: Select[Any]) -> Select[Any]:
        """The statement limited to the requested page."""
        return statement.limit(self.limit).offset(self.skipped())


class Listing(PagedFilterBody):
    """A filter body that lists objects: a where-clause, an order, a page."""

    def order_by(self) -> list[ColumnElement[Any]]:
        raise NotImplementedError

    def apply(self, statement: Select[Any], dialect: str) -> Select[Any]:
        """`statement` (a SELECT from the listed table) filtered, ordered and paged."""
        return self.page(statement.where(self.where(dialect)).order_by(*self.order_by()))


async def list_matching(session: AsyncSession, statement: Select[Row], body: Listing) -> list[Row]:
    """The objects `statement` selects that match the body, in its order, one page of them."""
    dialect = session.get_bind().dialect.name
    return list(await session.scalars(body.apply(statement, dialect)))


async def count_matching(
    session: AsyncSession, key: InstrumentedAttribute[Any], body: FilterBody
) -> int:
    """How many rows of `key`'s table match the body."""
    dialect = session.get_bind().dialect.name
    return await session.scalar(select(func.count(key)).where(body.where(dialect))) or 0
