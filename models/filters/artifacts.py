"""Filters and sorts of artifacts and of the latest artifact per key, and their bodies.

An artifact and its key's collection row have the same columns, so each criterion takes the
table it applies to. Both relate to runs through their (unchecked) run ids.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement

from models.filters.base import FilterModel, Listing, ObjectFilter, Operator, combine
from models.filters.bodies import RunRelatedBody, key_in_matching
from models.filters.criteria import FilterText, IdCriteria, values_field
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


def artifact_body_clause(
    body: ArtifactCountBody | LatestArtifactCountBody, table: Published, dialect: str
) -> ColumnElement[bool] | None:
    """The criteria of an artifact body on `table`, its own and those on the runs it names."""
    return combine(
        Operator.and_,
        [
            body.artifacts.clause(dialect) if body.artifacts else None,
            key_in_matching(table.flow_run_id, FlowRun.id, body.flow_run_clause(dialect)),
            key_in_matching(
                table.task_run_id,
                TaskRun.id,
                body.task_runs.clause(dialect) if body.task_runs else None,
            ),
        ],
    )


class ArtifactCountBody(RunRelatedBody):
    """The body of POST /api/artifacts/count."""

    artifacts: ArtifactFilter | None = None

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        return artifact_body_clause(self, Artifact, dialect)


class ArtifactFilterBody(ArtifactCountBody, Listing):
    """The body of POST /api/artifacts/filter."""

    sort: ArtifactSort = ArtifactSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by(Artifact)


class LatestArtifactCountBody(RunRelatedBody):
    """The body of POST /api/artifacts/latest/count."""

    artifacts: ArtifactCollectionFilter | None = None

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        return artifact_body_clause(self, ArtifactCollection, dialect)


class LatestArtifactFilterBody(LatestArtifactCountBody, Listing):
    """The body of POST /api/artifacts/latest/filter (`Artifact.get` of the client)."""

    sort: ArtifactSort = ArtifactSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by(ArtifactCollection)
