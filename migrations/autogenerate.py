"""How autogenerate compares our models with a database and writes revisions.

Types are written as plain `sa.*` types: a revision must still run after the models
change, so it never imports `models/`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.autogenerate.api import AutogenContext
from sqlalchemy import JSON, Enum
from sqlalchemy.types import TypeDecorator

from models.runs.flow_run_name_index import FLOW_RUN_NAME_INDEX


def render_plain_types(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Our custom types spelled as the plain types they store as; False: Alembic's default."""
    if type_ != "type":
        return False
    if isinstance(obj, TypeDecorator):  # UtcDateTime
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    if isinstance(obj, Enum) and not obj.native_enum:
        return f"sa.String(length={obj.length})"
    return False


def objects_for(dialect_name: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """An `include_object` hook that leaves other dialects' indexes out of the comparison.

    The trigram and GIN indexes exist only on PostgreSQL (`Index.ddl_if`); on SQLite they
    are neither created nor expected. SQLite's index of flow-run names is an FTS5 table (and
    its shadow tables) that no model describes: migration 0019 owns it.
    """

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        if type_ == "table" and reflected and (name or "").startswith(FLOW_RUN_NAME_INDEX):
            return False
        if type_ == "index" and not reflected:
            only_on = getattr(obj, "_ddl_if", None)
            if only_on is not None and only_on.dialect not in (None, dialect_name):
                return False
        return True

    return include_object
