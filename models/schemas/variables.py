"""Wire schemas of variables: what POST and PATCH take and what a variable reads as."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.schemas.json_values import check_json_value

#: The longest variable name (Prefect's limit).
MAX_VARIABLE_NAME_LENGTH: Final = 255
#: The most a value may weigh as JSON. Prefect counts 5,000 bytes; so do we.
MAX_VARIABLE_VALUE_BYTES: Final = 5_000
#: Tags one variable may carry.
MAX_VARIABLE_TAGS: Final = 100

VARIABLE_NAME = re.compile(r"^[a-z0-9_-]+$")


def check_variable_name(name: str) -> str:
    if not VARIABLE_NAME.match(name):
        raise ValueError(
            "Variable name must only contain lowercase letters, numbers, dashes and underscores."
        )
    return name


def check_variable_value(value: Any) -> Any:
    return check_json_value(value, "Variable value", MAX_VARIABLE_VALUE_BYTES)


VariableName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_VARIABLE_NAME_LENGTH),
    AfterValidator(check_variable_name),
]
VariableValue = Annotated[Any, AfterValidator(check_variable_value)]
VariableTags = Annotated[
    list[Annotated[str, Field(max_length=255, pattern=r"^[^\x00]*$")]],
    Field(max_length=MAX_VARIABLE_TAGS),
]


class VariableCreate(BaseModel):
    """The body of POST /api/variables/."""

    model_config = ConfigDict(extra="ignore")

    name: VariableName
    value: VariableValue  # any JSON, null included; required
    tags: VariableTags = Field(default_factory=list)


class VariableUpdate(BaseModel):
    """The body of PATCH /api/variables/{id} and /name/{name}: only what it sends changes."""

    model_config = ConfigDict(extra="ignore")

    name: VariableName | None = None
    value: VariableValue = None
    tags: VariableTags | None = None

    def changes(self) -> dict[str, Any]:
        """The columns to set. A null name or tags says nothing; a null value is a value."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {}
        if "name" in sent and self.name is not None:
            changes["name"] = self.name
        if "value" in sent:
            changes["value"] = self.value
        if "tags" in sent and self.tags is not None:
            changes["tags"] = self.tags
        return changes


class VariableResponse(BaseModel):
    """A variable as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    name: str
    value: Any
    tags: list[str]
