"""Filters and sorts of variables, and the bodies of POST /api/variables/filter and /count."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, true

from models.db.dialect import tags_are_empty, tags_include_all
from models.filters.base import FilterBody, FilterModel, Listing, ObjectFilter, Operator, combine
from models.filters.criteria import FilterText, IdCriteria, values_field
from models.variables import Variable


class VariableNameCriteria(FilterModel):
    """Criteria on a variable's name; `like_` is a case-insensitive substring match."""

    any_: list[FilterText] | None = values_field()
    like_: FilterText | None = None

    def clause(self) -> ColumnElement[bool] | None:
        return combine(
            Operator.and_,
            [
                Variable.name.in_(self.any_) if self.any_ is not None else None,
                # As Prefect: % and _ in the text stay wildcards.
                Variable.name.ilike(f"%{self.like_}%") if self.like_ else None,
            ],
        )


class VariableTagsCriteria(FilterModel):
    """`all_`: the variable carries every tag listed; `is_null_`: it has (no) tags."""

    operator: Operator = Operator.and_
    all_: list[FilterText] | None = values_field()
    is_null_: bool | None = None

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        empty = None
        if self.is_null_ is not None:
            empty = tags_are_empty(Variable.tags, dialect)
            empty = empty if self.is_null_ else ~empty
        return combine(
            self.operator,
            [tags_include_all(Variable.tags, self.all_, dialect) if self.all_ else None, empty],
        )


class VariableFilter(ObjectFilter):
    """Criteria on variables."""

    id: IdCriteria | None = None
    name: VariableNameCriteria | None = None
    tags: VariableTagsCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(Variable.id) if self.id else None,
            self.name.clause() if self.name else None,
            self.tags.clause(dialect) if self.tags else None,
        ]


class VariableSort(StrEnum):
    """The orders variables can be listed in."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        return [VARIABLE_ORDER[self], Variable.id.desc()]


VARIABLE_ORDER: dict[VariableSort, ColumnElement[Any]] = {
    VariableSort.CREATED_DESC: Variable.created.desc(),
    VariableSort.UPDATED_DESC: Variable.updated.desc(),
    VariableSort.NAME_ASC: Variable.name.asc(),
    VariableSort.NAME_DESC: Variable.name.desc(),
}


class VariableCountBody(FilterBody):
    """The body of POST /api/variables/count."""

    variables: VariableFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.variables.where(dialect) if self.variables else true()


class VariableFilterBody(VariableCountBody, Listing):
    """The body of POST /api/variables/filter."""

    sort: VariableSort = VariableSort.NAME_ASC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()
