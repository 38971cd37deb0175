"""Filters and sorts of deployments (the `deployments` part of a filter body)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from models.concurrency.tables import ConcurrencyLimit
from models.coordination.deployments import Deployment
from models.filters.base import FilterModel, ObjectFilter
from models.filters.criteria import (
    BoolCriteria,
    FilterInt,
    FilterText,
    IdCriteria,
    TagsCriteria,
    TextCriteria,
)
from models.runs.flows import Flow


class FlowOrDeploymentNameCriteria(FilterModel):
    """A case-insensitive substring of the deployment's name or of its flow's."""

    like_: FilterText | None = None

    def clause(self) -> ColumnElement[bool] | None:
        if self.like_ is None:
            return None
        pattern = f"%{self.like_}%"
        flows_named = select(Flow.id).where(Flow.name.ilike(pattern))
        return or_(Deployment.name.ilike(pattern), Deployment.flow_id.in_(flows_named))


class ConcurrencyLimitCriteria(FilterModel):
    """Accepted and ignored, as Prefect does since the limit moved to its own table."""

    ge_: FilterInt | None = None
    le_: FilterInt | None = None
    is_null_: bool | None = None


class DeploymentFilter(ObjectFilter):
    """Criteria on deployments."""

    id: IdCriteria | None = None
    name: TextCriteria | None = None
    flow_or_deployment_name: FlowOrDeploymentNameCriteria | None = None
    paused: BoolCriteria | None = None
    tags: TagsCriteria | None = None
    work_queue_name: TextCriteria | None = None
    concurrency_limit: ConcurrencyLimitCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(Deployment.id) if self.id else None,
            self.name.clause(Deployment.name) if self.name else None,
            self.flow_or_deployment_name.clause() if self.flow_or_deployment_name else None,
            self.paused.clause(Deployment.paused) if self.paused else None,
            self.tags.clause(Deployment.tags, dialect) if self.tags else None,
            self.work_queue_name.clause(Deployment.work_queue_name)
            if self.work_queue_name
            else None,
        ]


class DeploymentSort(StrEnum):
    """The orders deployments can be listed in."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    #: By the limit of the deployment's concurrency limit; none sorts as the smallest.
    CONCURRENCY_LIMIT_ASC = "CONCURRENCY_LIMIT_ASC"
    CONCURRENCY_LIMIT_DESC = "CONCURRENCY_LIMIT_DESC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        return [DEPLOYMENT_ORDER[self], Deployment.id.desc()]


#: The limit on a deployment's concurrent runs, or NULL when it has none.
RUN_LIMIT = (
    select(ConcurrencyLimit.limit)
    .where(ConcurrencyLimit.id == Deployment.concurrency_limit_id)
    .scalar_subquery()
)

DEPLOYMENT_ORDER: dict[DeploymentSort, ColumnElement[Any]] = {
    DeploymentSort.CREATED_DESC: Deployment.created.desc(),
    DeploymentSort.UPDATED_DESC: Deployment.updated.desc(),
    DeploymentSort.NAME_ASC: Deployment.name.asc(),
    DeploymentSort.NAME_DESC: Deployment.name.desc(),
    DeploymentSort.CONCURRENCY_LIMIT_ASC: RUN_LIMIT.asc().nulls_first(),
    DeploymentSort.CONCURRENCY_LIMIT_DESC: RUN_LIMIT.desc().nulls_last(),
}
