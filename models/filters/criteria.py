"""The filter vocabulary: criteria on one column (`any_`, `not_any_`, `like_`, `before_`, ...).

Each criterion becomes one where-clause on the column it is given, or None when it says
nothing. Tags are JSON lists, whose criteria each database writes its own way
(`models.db.dialect`); the caller passes the dialect's name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    SQLColumnExpression,
    false,
)

from models.db.dialect import tags_are_empty, tags_include_all, tags_include_any
from models.filters.base import FilterModel, Operator, combine
from models.states import StateType

#: Values one `any_` / `all_` list may hold. Prefect sets no cap; ours keeps a whole body's
#: bound parameters under SQLite's limit (32,766), and only code paging through ids comes
#: near it.
MAX_VALUES: Final = 1_000

#: A text value for a query: PostgreSQL cannot take NUL characters, so they are refused.
FilterText = Annotated[str, Field(pattern=r"^[^\x00]*$")]
#: An integer both databases can bind (a signed 64-bit value).
FilterInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


def values_field() -> Any:
    return Field(default=None, max_length=MAX_VALUES)


class IdCriteria(FilterModel):
    """Criteria on a UUID column, combined by `operator` (flow runs' deployment and parent
    task run send one)."""

    operator: Operator = Operator.and_
    any_: list[UUID] | None = values_field()
    not_any_: list[UUID] | None = values_field()
    is_null_: bool | None = None

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        return combine(
            self.operator,
            [
                column.in_(self.any_) if self.any_ is not None else None,
                column.not_in(self.not_any_) if self.not_any_ is not None else None,
                null_clause(column, self.is_null_),
            ],
        )


class TextCriteria(FilterModel):
    """Criteria on a text column, combined by `operator`; `like_` is a case-insensitive
    substring match."""

    operator: Operator = Operator.and_
    any_: list[FilterText] | None = values_field()
    not_any_: list[FilterText] | None = values_field()
    like_: FilterText | None = None
    #: Case-insensitive prefixes, any of which matches.
    startswith_: list[FilterText] | None = values_field()
    is_null_: bool | None = None

    def clause(
        self,
        column: SQLColumnExpression[Any],
        *,
        like_narrowed_by: ColumnElement[bool] | None = None,
    ) -> ColumnElement[bool] | None:
        """`like_narrowed_by`: a clause every `like_` match satisfies (an index's answer),
        ANDed with the LIKE inside the criteria, so that `operator` still combines them as one."""
        starts = None
        like = None
        if self.like_ is not None:
            # Prefect passes the text into the pattern as is: % and _ stay wildcards.
            like = combine(Operator.and_, [like_narrowed_by, column.ilike(f"%{self.like_}%")])
        if self.startswith_ is not None:
            prefixes = [column.ilike(f"{prefix}%") for prefix in self.startswith_]
            starts = combine(Operator.or_, prefixes) if prefixes else false()
        return combine(
            self.operator,
            [
                column.in_(self.any_) if self.any_ is not None else None,
                column.not_in(self.not_any_) if self.not_any_ is not None else None,
                like,
                starts,
                null_clause(column, self.is_null_),
            ],
        )


def in_utc(moment: datetime) -> datetime:
    """An aware time in UTC; one that UTC cannot hold (0001-01-01T00:00+05:00 is before its
    first moment) is a ValueError, which pydantic reports as a 422 naming the field."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is outside the years 1 to 9999 in UTC") from None


#: A time bound of a filter, as the database compares it: in UTC.
FilterTime = Annotated[AwareDatetime, AfterValidator(in_utc)]


class TimeCriteria(FilterModel):
    """Criteria on a timestamp column; both bounds are inclusive."""

    before_: FilterTime | None = None
    after_: FilterTime | None = None
    is_null_: bool | None = None

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        return self.clause_on(column, column)

    def clause_on(
        self, compared: SQLColumnExpression[Any], nullable: SQLColumnExpression[Any]
    ) -> ColumnElement[bool] | None:
        """The bounds on `compared` and `is_null_` on `nullable` (they differ for start_time)."""
        return combine(
            Operator.and_,
            [
                compared <= self.before_ if self.before_ is not None else None,
                compared >= self.after_ if self.after_ is not None else None,
                null_clause(nullable, self.is_null_),
            ],
        )


class NumberCriteria(FilterModel):
    """Criteria on an integer column; both bounds are inclusive."""

    ge_: FilterInt | None = None
    le_: FilterInt | None = None

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        # PostgreSQL compares a 32-bit column only with a value it could hold (`level <=
        # 2^40` is "integer out of range"): a bound past the column's range is decided here,
        # as nothing to match or as no bound at all.
        # Every column and mapped attribute has a `type`; the protocol does not declare it.
        lowest, highest = INTEGER_RANGE[isinstance(getattr(column, "type", None), BigInteger)]
        if (self.ge_ is not None and self.ge_ > highest) or (
            self.le_ is not None and self.le_ < lowest
        ):
            return false()
        return combine(
            Operator.and_,
            [
                column >= self.ge_ if self.ge_ is not None and self.ge_ > lowest else None,
                column <= self.le_ if self.le_ is not None and self.le_ < highest else None,
            ],
        )


#: The values an integer column holds, by whether it is a BigInteger: (lowest, highest).
INTEGER_RANGE: Final = {False: (-(2**31), 2**31 - 1), True: (-(2**63), 2**63 - 1)}


class BoolCriteria(FilterModel):
    """Criteria on a boolean column."""

    eq_: bool | None = None

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        return column.is_(self.eq_) if self.eq_ is not None else None


class StateTypeCriteria(FilterModel):
    """Criteria on a state-type column; an unknown type is refused (422), as the reference does."""

    any_: list[StateType] | None = values_field()
    not_any_: list[StateType] | None = values_field()

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        return combine(
            Operator.and_,
            [
                column.in_(self.any_) if self.any_ is not None else None,
                column.not_in(self.not_any_) if self.not_any_ is not None else None,
            ],
        )


class StateCriteria(FilterModel):
    """Criteria on a run's current state: its type and its name.

    The two are ANDed by default: the legacy cancellation poll asks for type CANCELLED
    *and* name Cancelling.
    """

    operator: Operator = Operator.and_
    type: StateTypeCriteria | None = None
    name: TextCriteria | None = None

    def clause(
        self, type_column: SQLColumnExpression[Any], name_column: SQLColumnExpression[Any]
    ) -> ColumnElement[bool] | None:
        return combine(
            self.operator,
            [
                self.type.clause(type_column) if self.type is not None else None,
                self.name.clause(name_column) if self.name is not None else None,
            ],
        )


class WorkerStatusCriteria(FilterModel):
    """Criteria on a Prefect worker's status."""

    any_: list[Literal["ONLINE", "OFFLINE"]] | None = values_field()
    not_any_: list[Literal["ONLINE", "OFFLINE"]] | None = values_field()

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        return combine(
            Operator.and_,
            [
                column.in_(self.any_) if self.any_ is not None else None,
                column.not_in(self.not_any_) if self.not_any_ is not None else None,
            ],
        )


class TagsCriteria(FilterModel):
    """Criteria on a JSON list of tags.

    `all_`: the tags include every one listed; `any_`: at least one; `is_null_`: the list
    is (or is not) empty.
    """

    operator: Operator = Operator.and_
    all_: list[FilterText] | None = values_field()
    any_: list[FilterText] | None = values_field()
    is_null_: bool | None = None

    def clause(self, column: SQLColumnExpression[Any], dialect: str) -> ColumnElement[bool] | None:
        empty = None
        if self.is_null_ is not None:
            empty = tags_are_empty(column, dialect)
            empty = empty if self.is_null_ else ~empty
        return combine(
            self.operator,
            [
                # Every list includes all of no tags: an empty `all_` says nothing.
                tags_include_all(column, self.all_, dialect) if self.all_ else None,
                tags_include_any(column, self.any_, dialect) if self.any_ is not None else None,
                empty,
            ],
        )


def null_clause(
    column: SQLColumnExpression[Any], is_null: bool | None
) -> ColumnElement[bool] | None:
    if is_null is None:
        return None
    return column.is_(None) if is_null else column.is_not(None)
