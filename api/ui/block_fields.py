"""A block document's fields as its page lists them: title, value, secret or reference.

The document comes read without its secrets (stars in their place). A field the block schema
marks secret as a whole is shown as stars whatever the data holds, so a page never depends on
the stars having been put in; a field that refers to another block document is a link to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from models.blocks.secrets import OBFUSCATED
from models.schemas.blocks import BlockDocumentResponse


@dataclass(frozen=True)
class BlockField:
    """One field of a block document."""

    name: str
    title: str
    description: str | None
    #: The value to show (secrets already starred); None for a reference.
    value: Any
    secret: bool = False
    reference_id: UUID | None = None
    reference_name: str | None = None
    reference_type: str | None = None


def whole_secrets(secret_fields: list[str]) -> set[str]:
    """Top-level fields that are secret as a whole (`token`, not `config.password`)."""
    return {path for path in secret_fields if "." not in path}


def block_fields(document: BlockDocumentResponse) -> list[BlockField]:
    """The document's fields, in the schema's order, then any the schema does not name."""
    schema = document.block_schema.fields if document.block_schema else {}
    properties: dict[str, Any] = schema.get("properties") or {}
    secrets = whole_secrets(schema.get("secret_fields") or [])
    names = [name for name in properties if name in document.data]
    names += [name for name in document.data if name not in properties]
    fields = []
    for name in names:
        described = properties.get(name) or {}
        # A field that holds a block has no title of its own; pydantic's way names it.
        title = str(described.get("title") or name.replace("_", " ").title())
        description = described.get("description")
        reference = (document.block_document_references.get(name) or {}).get("block_document")
        if reference:
            reference_type = (reference.get("block_type") or {}).get("name")
            fields.append(
                BlockField(
                    name,
                    title,
                    description,
                    None,
                    reference_id=UUID(str(reference["id"])),
                    reference_name=reference.get("name"),
                    reference_type=reference_type,
                )
            )
            continue
        value = document.data[name]
        if name in secrets:
            shown = None if value is None else OBFUSCATED
            fields.append(BlockField(name, title, description, shown, secret=True))
            continue
        fields.append(BlockField(name, title, description, value))
    return fields
