"""Wire schemas of artifacts: what runs publish, and the latest artifact of each key."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.schemas.json_values import check_json_value

#: Characters of one metadata value that are kept (Prefect cuts longer ones, adding "...").
MAX_METADATA_VALUE_CHARS: Final = 500
#: Metadata entries one artifact may carry.
MAX_METADATA_ENTRIES: Final = 100

ARTIFACT_KEY = re.compile(r"^[a-z0-9-]+$")


def check_artifact_key(key: str) -> str:
    if not ARTIFACT_KEY.match(key):
        raise ValueError("Artifact key must only contain lowercase letters, numbers, and dashes.")
    return key


def check_artifact_data(data: Any) -> Any:
    return check_json_value(data, "Artifact data")


def cut_metadata_values(metadata: dict[str, str] | None) -> dict[str, str] | None:
    """Long metadata values are cut, not refused, as Prefect does."""
    if metadata is None:
        return None
    return {
        key: value
        if len(value) <= MAX_METADATA_VALUE_CHARS
        else value[:MAX_METADATA_VALUE_CHARS] + "..."
        for key, value in metadata.items()
    }


ArtifactKey = Annotated[
    str, Field(min_length=1, max_length=255), AfterValidator(check_artifact_key)
]
ArtifactData = Annotated[Any, AfterValidator(check_artifact_data)]
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
Metadata = Annotated[
    dict[Annotated[str, Field(max_length=255, pattern=r"^[^\x00]*$")], Text],
    Field(max_length=MAX_METADATA_ENTRIES),
    AfterValidator(cut_metadata_values),
]


class ArtifactCreate(BaseModel):
    """The body of POST /api/artifacts/.

    `type` is free text: markdown, table (data: the rows as a JSON string), link (sent as
    markdown), progress (data: a number), image (data: a URL), result...
    """

    model_config = ConfigDict(extra="ignore")

    key: ArtifactKey | None = None
    type: Annotated[Text, Field(max_length=64)] | None = None
    description: Text | None = None
    data: ArtifactData = None
    metadata_: Metadata | None = None
    #: No foreign keys: an artifact often names a task run whose events have not arrived.
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None


class ArtifactUpdate(BaseModel):
    """The body of PATCH /api/artifacts/{id}: only what it sends changes."""

    model_config = ConfigDict(extra="ignore")

    data: ArtifactData = None
    description: Text | None = None
    metadata_: Metadata | None = None

    def changes(self) -> dict[str, Any]:
        """The fields sent; here a null is a value (an artifact may lose its description)."""
        return self.model_dump(include=self.model_fields_set)


class ArtifactResponse(BaseModel):
    """An artifact as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    key: str | None
    type: str | None
    description: str | None
    data: Any
    metadata_: dict[str, str] | None
    flow_run_id: UUID | None
    task_run_id: UUID | None


class ArtifactCollectionResponse(ArtifactResponse):
    """The latest artifact of a key: `id` is the collection's, `latest_id` the artifact's."""

    key: str
    latest_id: UUID
