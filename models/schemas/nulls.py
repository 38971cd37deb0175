"""Nulls the client sends for what it leaves out, read as each field's default."""

from __future__ import annotations

from collections.abc import Collection
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


def sent_changes(body: BaseModel, clearable: Collection[str], **dump: Any) -> dict[str, Any]:
    """The fields a PATCH body sent, as the columns to set: a null clears a field named in
    `clearable` and says nothing for the others. `dump` goes to `model_dump` (mode, exclude).
    """
    sent = body.model_dump(include=body.model_fields_set, **dump)
    return {key: value for key, value in sent.items() if value is not None or key in clearable}
