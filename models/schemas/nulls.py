"""Nulls the client sends for what it leaves out, read as each field's default."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator


def null_as_default(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """The field's default (a fresh one, from its factory) when the client sent null."""
    if value is None and info.field_name is not None:
        return cls.model_fields[info.field_name].get_default(call_default_factory=True)
    return value


def nulls_are_defaults(*fields: str) -> Any:
    """A validator reading null as the default for `fields`, which cannot be null.

    Assigned in the class body (`null_is_default = nulls_are_defaults("tags", "labels")`);
    the Prefect client sends null for a list or mapping it has nothing for.
    """
    return field_validator(*fields, mode="before")(null_as_default)
