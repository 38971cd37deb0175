"""Filters and sorts of flows."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select

from models.coordination.deployments import Deployment
from models.filters.base import FilterModel, ObjectFilter, Operator
from models.filters.criteria import IdCriteria, TagsCriteria, TextCriteria
from models.runs.flows import Flow


class FlowDeploymentCriteria(FilterModel):
    """Whether a flow has deployments."""

    operator: Operator = Operator.and_
    #: True: only flows without any deployment; False: only flows with one.
    is_null_: bool | None = None

    def clause(self) -> ColumnElement[bool] | None:
        if self.is_null_ is None:
            return None
        deployed = Flow.id.in_(select(Deployment.flow_id))
        return ~deployed if self.is_null_ else deployed


class FlowFilter(ObjectFilter):
    """Criteria on flows."""

    id: IdCriteria | None = None
    deployment: FlowDeploymentCriteria | None = None
    name: TextCriteria | None = None
    tags: TagsCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(Flow.id) if self.id else None,
            self.deployment.clause() if self.deployment else None,
            self.name.clause(Flow.name) if self.name else None,
            self.tags.clause(Flow.tags, dialect) if self.tags else None,
        ]


class FlowSort(StrEnum):
    """The orders flows can be listed in."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        return [FLOW_ORDER[self], Flow.id.desc()]


FLOW_ORDER: dict[FlowSort, ColumnElement[Any]] = {
    FlowSort.CREATED_DESC: Flow.created.desc(),
    FlowSort.UPDATED_DESC: Flow.updated.desc(),
    FlowSort.NAME_ASC: Flow.name.asc(),
    FlowSort.NAME_DESC: Flow.name.desc(),
}
