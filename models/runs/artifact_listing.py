"""Artifacts as lists show them: the latest of each key with the unkeyed ones, and the
versions of one key; key, type, description and run, never the data.

Both lists read one page plus one row (so a page knows whether another follows) and never
count. The unkeyed part walks the (key, created) index from its newest end; the latest per
key is the collection table, one row per key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    select,
    true,
    union_all,
)

from models.filters.artifacts import ArtifactKeyCriteria, ArtifactTypeCriteria, Published
from models.filters.base import Operator, combine
from models.runs.artifacts import Artifact, ArtifactCollection
from models.runs.flow_runs import FlowRun

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ArtifactSummary:
    """One artifact in a list: `id` is the artifact's own (for a key, its latest's)."""

    id: UUID
    key: str | None
    type: str | None
    description: str | None
    flow_run_id: UUID | None
    flow_run_name: str | None
    task_run_id: UUID | None
    created: datetime
    updated: datetime


def summary_columns(table: Published, artifact_id: SQLColumnExpression[UUID]) -> list[Any]:
    return [
        artifact_id.label("id"),
        table.key.label("key"),
        table.type.label("type"),
        table.description.label("description"),
        table.flow_run_id.label("flow_run_id"),
        table.task_run_id.label("task_run_id"),
        table.created.label("created"),
        table.updated.label("updated"),
    ]


def criteria(
    table: Published, artifact_type: str | None, key_like: str | None
) -> ColumnElement[bool]:
    clause = combine(
        Operator.and_,
        [
            ArtifactTypeCriteria(any_=[artifact_type]).clause(table) if artifact_type else None,
            ArtifactKeyCriteria(like_=key_like).clause(table) if key_like else None,
        ],
    )
    return true() if clause is None else clause


async def read_summaries(
    session: AsyncSession, listed: Select[Any] | CompoundSelect, limit: int, offset: int
) -> list[ArtifactSummary]:
    """The rows of `listed` (ordered by `listed_at` newest first), one page, with the names
    of their flow runs."""
    page = listed.subquery()
    rows = await session.execute(
        select(
            *[column for column in page.c if column.name != "listed_at"],
            FlowRun.name.label("flow_run_name"),
        )
        .outerjoin(FlowRun, FlowRun.id == page.c.flow_run_id)
        .order_by(page.c.listed_at.desc(), page.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ArtifactSummary(**row._mapping) for row in rows]


async def list_artifact_summaries(
    session: AsyncSession,
    *,
    artifact_type: str | None = None,
    key_like: str | None = None,
    limit: int,
    offset: int = 0,
) -> list[ArtifactSummary]:
    """The latest artifact of each key and every unkeyed artifact, newest first: a key is as
    new as its latest artifact's last change, an unkeyed artifact as its creation.

    A key filter leaves the unkeyed artifacts out.
    """
    enough = offset + limit  # neither part needs more rows than the page's end
    latest = (
        select(
            *summary_columns(ArtifactCollection, ArtifactCollection.latest_id),
            ArtifactCollection.updated.label("listed_at"),
        )
        .where(criteria(ArtifactCollection, artifact_type, key_like))
        .order_by(ArtifactCollection.updated.desc(), ArtifactCollection.id.desc())
        .limit(enough)
        .subquery()
    )
    parts: list[Select[Any]] = [select(*latest.c)]
    if not key_like:
        unkeyed = (
            select(*summary_columns(Artifact, Artifact.id), Artifact.created.label("listed_at"))
            .where(Artifact.key.is_(None), criteria(Artifact, artifact_type, None))
            .order_by(Artifact.created.desc(), Artifact.id.desc())
            .limit(enough)
            .subquery()
        )
        parts.append(select(*unkeyed.c))
    listed = union_all(*parts) if len(parts) > 1 else parts[0]
    return await read_summaries(session, listed, limit, offset)


async def list_artifact_versions(
    session: AsyncSession, key: str, *, limit: int, offset: int = 0
) -> list[ArtifactSummary]:
    """Every artifact published under `key`, newest first."""
    versions = (
        select(*summary_columns(Artifact, Artifact.id), Artifact.created.label("listed_at"))
        .where(Artifact.key == key)
        .order_by(Artifact.created.desc(), Artifact.id.desc())
        .limit(offset + limit)
    )
    return await read_summaries(session, versions, limit, offset)
