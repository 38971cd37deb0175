"""The declarative base every Signalbox table derives from, and the column shapes and search
indexes tables share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from sqlalchemy import Enum, Index, MetaData, String
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, mapped_column

from models.db.types import JsonColumn, UtcDateTime, utcnow
from models.states import StateType


class Base(AsyncAttrs, DeclarativeBase):
    """Every table; its metadata names every constraint so migrations can refer to them."""

    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )
    type_annotation_map = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonColumn,
        list[Any]: JsonColumn,
        list[str]: JsonColumn,
        Any: JsonColumn,
        StateType: Enum(StateType, native_enum=False, length=20, create_constraint=False),
        str: String(),
    }


Id = Annotated[UUID, mapped_column(primary_key=True, default=uuid4)]
Created = Annotated[datetime, mapped_column(default=utcnow)]
Updated = Annotated[datetime, mapped_column(default=utcnow, onupdate=utcnow)]
Name = Annotated[str, mapped_column(String(255))]


def tags_index(table: str) -> Index:
    """The table's GIN index on `tags`, serving the filters' containment (`@>`) on PostgreSQL.

    SQLite has no such index (its tag filters read `json_each`), so only PostgreSQL builds it.
    """
    return Index(
        f"ix_{table}_tags_gin",
        "tags",
        postgresql_using="gin",
        postgresql_ops={"tags": "jsonb_path_ops"},
    ).ddl_if(dialect="postgresql")


def name_search_index(table: str) -> Index:
    """The table's trigram index on `name`, serving `like_` (ILIKE '%text%') on PostgreSQL."""
    return Index(
        f"ix_{table}_name_trgm",
        "name",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")
