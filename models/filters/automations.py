"""Filters and sorts of automations, and the bodies of POST /api/automations/filter and /count."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, true

from models.automations.tables import Automation
from models.filters.base import FilterBody, Listing, ObjectFilter
from models.filters.criteria import IdCriteria, TagsCriteria, TextCriteria, TimeCriteria


class AutomationFilter(ObjectFilter):
    """Criteria on automations: Prefect's `id.any_`, `name.any_`, `created.before_` and
    `tags`, each accepting the other criteria of its kind too."""

    id: IdCriteria | None = None
    name: TextCriteria | None = None
    created: TimeCriteria | None = None
    tags: TagsCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(Automation.id) if self.id else None,
            self.name.clause(Automation.name) if self.name else None,
            self.created.clause(Automation.created) if self.created else None,
            self.tags.clause(Automation.tags, dialect) if self.tags else None,
        ]


class AutomationSort(StrEnum):
    """The orders automations can be listed in."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        return [AUTOMATION_ORDER[self], Automation.id.desc()]


AUTOMATION_ORDER: dict[AutomationSort, ColumnElement[Any]] = {
    AutomationSort.CREATED_DESC: Automation.created.desc(),
    AutomationSort.UPDATED_DESC: Automation.updated.desc(),
    AutomationSort.NAME_ASC: Automation.name.asc(),
    AutomationSort.NAME_DESC: Automation.name.desc(),
}


class AutomationCountBody(FilterBody):
    """The body of POST /api/automations/count."""

    automations: AutomationFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.automations.where(dialect) if self.automations else true()


class AutomationFilterBody(AutomationCountBody, Listing):
    """The body of POST /api/automations/filter (by name, ascending, unless it says)."""

    sort: AutomationSort = AutomationSort.NAME_ASC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()
