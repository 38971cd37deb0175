"""The declarative base every Signalbox table derives from, and the column shapes and search
indexes tables share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final
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


#: The GIN index PostgreSQL keeps on a column filters search, by column: its name's suffix and
#: its operator class. Tags serve containment (`@>`); names serve `like_` (ILIKE '%text%')
#: by trigrams. SQLite has neither (its filters read `json_each` and scan), so only
#: PostgreSQL builds them.
SEARCH_INDEXES: Final = {"tags": ("gin", "jsonb_path_ops"), "name": ("trgm", "gin_trgm_ops")}


def search_index(table: str, column: str) -> Index:
    """The table's PostgreSQL-only GIN index on `column` ("tags" or "name")."""
    suffix, operator_class = SEARCH_INDEXES[column]
    return Index(
        f"ix_{table}_{column}_{suffix}",
        column,
        postgresql_using="gin",
        postgresql_ops={column: operator_class},
    ).ddl_if(dialect="postgresql")
