"""Artifacts that runs publish, and the latest artifact of each key."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import Index, String, Text, delete, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Updated
from models.db.dialect import dialect_insert
from models.errors import ObjectNotFound
from models.filters.base import count_matching, list_matching

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.artifacts import (
        ArtifactCountBody,
        ArtifactFilterBody,
        LatestArtifactCountBody,
        LatestArtifactFilterBody,
    )

#: What the reference answers (404) for an unknown artifact.
NOT_FOUND_DETAIL: Final = "Artifact not found."
#: The columns an artifact and its key's collection row share: attribute → column name.
PUBLISHED_COLUMNS: Final = {
    "type": "type",
    "description": "description",
    "data": "data",
    "metadata_": "metadata",
    "flow_run_id": "flow_run_id",
    "task_run_id": "task_run_id",
}


class Artifact(Base):
    """One published artifact (markdown, table, link, progress, image).

    The run references have no foreign keys: an artifact often names a task run whose
    events have not reached the server yet.
    """

    __tablename__ = "artifact"
    __table_args__ = (Index("ix_artifact_key_created", "key", "created"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    key: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[Any | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    flow_run_id: Mapped[UUID | None] = mapped_column(index=True)
    task_run_id: Mapped[UUID | None] = mapped_column(index=True)


class ArtifactCollection(Base):
    """The latest artifact published under a key, copied so `/latest` reads one row."""

    __tablename__ = "artifact_collection"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    key: Mapped[str] = mapped_column(String(255), unique=True)
    latest_id: Mapped[UUID]
    type: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[Any | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    flow_run_id: Mapped[UUID | None]
    task_run_id: Mapped[UUID | None]


async def create_artifact(session: AsyncSession, values: dict[str, Any], now: datetime) -> Artifact:
    """Store an artifact; one with a key also becomes the latest of its key."""
    artifact_id = uuid4()
    await session.execute(
        insert(Artifact).values({"id": artifact_id, "created": now, "updated": now, **values})
    )
    if values.get("key") is not None:
        collection = Base.metadata.tables[ArtifactCollection.__tablename__]
        published = {
            collection.c[column]: values.get(attribute)
            for attribute, column in PUBLISHED_COLUMNS.items()
        }
        upsert = dialect_insert(session, collection).values(
            {
                collection.c.id: uuid4(),
                collection.c.created: now,
                collection.c.updated: now,
                collection.c.key: values["key"],
                collection.c.latest_id: artifact_id,
                **published,
            }
        )
        # Two artifacts of one key at once: the row lock (or SQLite's single writer) orders
        # them, and the one committed last is the latest.
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=[collection.c.key],
                set_={
                    collection.c.latest_id: artifact_id,
                    collection.c.updated: now,
                    **{column: upsert.excluded[column.name] for column in published},
                },
            )
        )
    return await read_artifact(session, artifact_id)


async def read_artifact(session: AsyncSession, artifact_id: UUID) -> Artifact:
    """The artifact with that id; raises ObjectNotFound."""
    artifact = await session.scalar(
        select(Artifact).where(Artifact.id == artifact_id).execution_options(populate_existing=True)
    )
    if artifact is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return artifact


async def read_latest_artifact(session: AsyncSession, key: str) -> Artifact:
    """The artifact published last under `key`; raises ObjectNotFound."""
    artifact = await session.scalar(
        select(Artifact)
        .join(ArtifactCollection, ArtifactCollection.latest_id == Artifact.id)
        .where(ArtifactCollection.key == key)
    )
    if artifact is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return artifact


async def update_artifact(
    session: AsyncSession, artifact_id: UUID, changes: dict[str, Any], now: datetime
) -> None:
    """Change an artifact, and its key's collection row if it is the latest; ObjectNotFound."""
    result = await session.execute(
        update(Artifact)
        .where(Artifact.id == artifact_id)
        .values(**changes, updated=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    await session.execute(
        update(ArtifactCollection)
        .where(ArtifactCollection.latest_id == artifact_id)
        .values(**changes, updated=now)
        .execution_options(synchronize_session=False)
    )


async def delete_artifact(session: AsyncSession, artifact_id: UUID) -> None:
    """Delete an artifact; if it was its key's latest, the one before it becomes the latest."""
    artifact = await read_artifact(session, artifact_id)
    await session.execute(
        delete(Artifact)
        .where(Artifact.id == artifact_id)
        .execution_options(synchronize_session=False)
    )
    if artifact.key is None:
        return
    collection = await session.scalar(
        select(ArtifactCollection).where(
            ArtifactCollection.key == artifact.key, ArtifactCollection.latest_id == artifact_id
        )
    )
    if collection is None:
        return  # it was not the latest of its key
    previous = await session.scalar(
        select(Artifact)
        .where(Artifact.key == artifact.key)
        .order_by(Artifact.created.desc(), Artifact.id.desc())
        .limit(1)
    )
    if previous is None:
        await session.delete(collection)
        return
    collection.latest_id = previous.id
    collection.updated = previous.updated
    for column in PUBLISHED_COLUMNS:
        setattr(collection, column, getattr(previous, column))


async def filter_artifacts(session: AsyncSession, body: ArtifactFilterBody) -> list[Artifact]:
    """The artifacts matching a filter body, sorted and paged."""
    return await list_matching(session, select(Artifact), body)


async def count_artifacts(session: AsyncSession, body: ArtifactCountBody) -> int:
    """How many artifacts match a filter body."""
    return await count_matching(session, Artifact.id, body)


async def filter_latest_artifacts(
    session: AsyncSession, body: LatestArtifactFilterBody
) -> list[ArtifactCollection]:
    """The latest artifact of each key matching a filter body, sorted and paged."""
    return await list_matching(session, select(ArtifactCollection), body)


async def count_latest_artifacts(session: AsyncSession, body: LatestArtifactCountBody) -> int:
    """How many keys have a latest artifact matching a filter body."""
    return await count_matching(session, ArtifactCollection.id, body)
