"""Filters and sorts of artifacts and of the latest artifact per key, and their bodies.

An artifact and its key's collection row have the same columns, so each criterion takes the
table it applies to. Both relate to runs through their (unchecked) run ids.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select

from models.filters.base import FilterBody, FilterModel, Listing, ObjectFilter, Operator, combine
from models.filters.bodies import as_where, flow_run_clause
from models.filters.criteria import FilterText, IdCriteria, values_field
from models.filters.deployments import DeploymentFilter
from models.filters.flow_runs import FlowRunFilter
from models.filters.flows import FlowFilter
from models.filters.task_runs import TaskRunFilter
from models.runs.artifacts import Artifact, ArtifactCollection
from models.runs.flow_runs import FlowRun
from models.runs.task_runs import TaskRun

Published = type[Artifact] | type[ArtifactCollection]


class ArtifactKeyCriteria(FilterModel):
    """Criteria on an artifact's key; `exists_`: it has one (or not)."""

    any_: list[FilterText] | None = values_field()
    like_: FilterText | None = None
    exists_: bool | None = None

    def clause(self, table: Published) -> ColumnElement[bool] | None:
        key = table.key
        exists = None
        if self.exists_ is not None:
            exists = key.is_not(None) if self.exists_ else key.is_(None)
        return combine(
            Operator.and_,
            [
                key.in_(self.any_) if self.any_ is not None else None,
                # As Prefect: % and _ in the text stay wildcards.
                key.ilike(f"%{self.like_}%") if self.like_ else None,
                exists,
            ],
        )


class ArtifactTypeCriteria(FilterModel):
    """Criteria on an artifact's type."""

    any_: list[FilterText] | None = values_field()
    not_any_: list[FilterText] | None = values_field()

    def clause(self, table: Published) -> ColumnElement[bool] | None:
        return combine(
            Operator.and_,
            [
                table.type.in_(self.any_) if self.any_ is not None else None,
                table.type.not_in(self.not_any_) if self.not_any_ else None,
            ],
        )


class ArtifactFilter(ObjectFilter):
    """Criteria on artifacts."""

    id: IdCriteria | None = None
    key: ArtifactKeyCriteria | None = None
    flow_run_id: IdCriteria | None = None
    task_run_id: IdCriteria | None = None
    type: ArtifactTypeCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(Artifact.id) if self.id else None,
            *published_clauses(self, Artifact),
        ]


class ArtifactCollectionFilter(ObjectFilter):
    """Criteria on the latest artifact of each key."""

    latest_id: IdCriteria | None = None
    key: ArtifactKeyCriteria | None = None
    flow_run_id: IdCriteria | None = None
    task_run_id: IdCriteria | None = None
    type: ArtifactTypeCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.latest_id.clause(ArtifactCollection.latest_id) if self.latest_id else None,
            *published_clauses(self, ArtifactCollection),
        ]


def published_clauses(
    criteria: ArtifactFilter | ArtifactCollectionFilter, table: Published
) -> list[ColumnElement[bool] | None]:
    """The criteria both filters share, on `table`."""
    return [
        criteria.key.clause(table) if criteria.key else None,
        criteria.flow_run_id.clause(table.flow_run_id) if criteria.flow_run_id else None,
        criteria.task_run_id.clause(table.task_run_id) if criteria.task_run_id else None,
        criteria.type.clause(table) if criteria.type else None,
    ]


class ArtifactSort(StrEnum):
    """The orders artifacts (and latest artifacts) can be listed in."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    ID_DESC = "ID_DESC"
    KEY_DESC = "KEY_DESC"
    KEY_ASC = "KEY_ASC"

    def order_by(self, table: Published) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        columns: dict[ArtifactSort, ColumnElement[Any]] = {
            ArtifactSort.CREATED_DESC: table.created.desc(),
            ArtifactSort.UPDATED_DESC: table.updated.desc(),
            ArtifactSort.ID_DESC: table.id.desc(),
            ArtifactSort.KEY_DESC: table.key.desc(),
            ArtifactSort.KEY_ASC: table.key.asc(),
        }
        return [columns[self], table.id.desc()]


class RunCriteria(FilterBody):
    """Criteria on the runs an artifact names, which every artifact body may carry."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None

    def run_clause(self, table: Published, dialect: str) -> ColumnElement[bool] | None:
        of_flow_runs = flow_run_clause(
            dialect, self.flows, self.flow_runs, deployments=self.deployments
        )
        of_task_runs = self.task_runs.clause(dialect) if self.task_runs else None
        return combine(
            Operator.and_,
            [
                table.flow_run_id.in_(select(FlowRun.id).where(of_flow_runs))
                if of_flow_runs is not None
                else None,
                table.task_run_id.in_(select(TaskRun.id).where(of_task_runs))
                if of_task_runs is not None
                else None,
            ],
        )


class ArtifactCountBody(RunCriteria):
    """The body of POST /api/artifacts/count."""

    artifacts: ArtifactFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return as_where(
            combine(
                Operator.and_,
                [
                    self.artifacts.clause(dialect) if self.artifacts else None,
                    self.run_clause(Artifact, dialect),
                ],
            )
        )


class ArtifactFilterBody(ArtifactCountBody, Listing):
    """The body of POST /api/artifacts/filter."""

    sort: ArtifactSort = ArtifactSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by(Artifact)


class LatestArtifactCountBody(RunCriteria):
    """The body of POST /api/artifacts/latest/count."""

    artifacts: ArtifactCollectionFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return as_where(
            combine(
                Operator.and_,
                [
                    self.artifacts.clause(dialect) if self.artifacts else None,
                    self.run_clause(ArtifactCollection, dialect),
                ],
            )
        )


class LatestArtifactFilterBody(LatestArtifactCountBody, Listing):
    """The body of POST /api/artifacts/latest/filter (`Artifact.get` of the client)."""

    sort: ArtifactSort = ArtifactSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by(ArtifactCollection)
