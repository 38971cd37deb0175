"""Wire schemas of blocks: block types, block schemas and block documents, as Prefect sends them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Names may not hold the characters Prefect bans from names.
NAME_PATTERN: Final = r"^[^/%&><]+$"
#: Slugs and block document names: lowercase letters, digits and dashes.
SLUG_PATTERN: Final = r"^[a-z0-9-]+$"


class BlockTypeCreate(BaseModel):
    """The body of POST /api/block_types/."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255, pattern=NAME_PATTERN)
    slug: str = Field(min_length=1, max_length=255, pattern=SLUG_PATTERN)
    logo_url: str | None = None
    documentation_url: str | None = None
    description: str | None = None
    code_example: str | None = None


class BlockTypeUpdate(BaseModel):
    """The body of PATCH /api/block_types/{id}: the four fields a client may change."""

    model_config = ConfigDict(extra="ignore")

    logo_url: str | None = None
    documentation_url: str | None = None
    description: str | None = None
    code_example: str | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent."""
        return self.model_dump(exclude_unset=True)


class BlockTypeResponse(BaseModel):
    """A block type as clients read it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    name: str
    slug: str
    logo_url: str | None
    documentation_url: str | None
    description: str | None
    code_example: str | None
    is_protected: bool


class BlockSchemaCreate(BaseModel):
    """The body of POST /api/block_schemas/; the server computes the checksum."""

    model_config = ConfigDict(extra="ignore")

    fields: dict[str, Any] = Field(default_factory=dict)
    block_type_id: UUID
    capabilities: list[str] = Field(default_factory=list)
    version: str = Field(default="non-versioned", min_length=1, max_length=64)


class BlockSchemaResponse(BaseModel):
    """A block schema as clients read it, with its block type."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    checksum: str
    fields: dict[str, Any]
    block_type_id: UUID
    block_type: BlockTypeResponse | None = None
    capabilities: list[str]
    version: str


class BlockDocumentCreate(BaseModel):
    """The body of POST /api/block_documents/; an anonymous document needs no name."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=255, pattern=SLUG_PATTERN)
    data: dict[str, Any] = Field(default_factory=dict)
    block_schema_id: UUID
    block_type_id: UUID
    is_anonymous: bool = False

    @model_validator(mode="after")
    def named_unless_anonymous(self) -> BlockDocumentCreate:
        if not self.is_anonymous and not self.name:
            raise ValueError("Names must be provided for block documents.")
        return self


class BlockDocumentUpdate(BaseModel):
    """The body of PATCH /api/block_documents/{id}.

    With `merge_existing_data` (the default) the given keys replace the stored ones and the
    others stay; without it, `data` replaces the whole document.
    """

    model_config = ConfigDict(extra="ignore")

    block_schema_id: UUID | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    merge_existing_data: bool = True


class BlockDocumentResponse(BaseModel):
    """A block document as clients read it: its data (secrets starred unless asked for),
    schema, type, and the documents it refers to, whose data is nested in place."""

    id: UUID
    created: datetime
    updated: datetime
    name: str | None
    data: dict[str, Any]
    block_schema_id: UUID
    block_schema: BlockSchemaResponse | None
    block_type_id: UUID
    block_type_name: str | None
    block_type: BlockTypeResponse | None
    block_document_references: dict[str, dict[str, Any]] = Field(default_factory=dict)
    is_anonymous: bool
