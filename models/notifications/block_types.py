"""Registering the nine notification block types and their schemas, idempotently.

Their ids are derived from their slugs, so every process and every database names them the
same way, and registering twice (two API processes starting together) changes nothing.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from sqlalchemy import select

from models.blocks.checksums import block_schema_checksum
from models.blocks.tables import BlockSchema, BlockType
from models.db.dialect import dialect_insert
from models.db.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: Prefect 3.9.1's notification block types (metadata, capabilities, schema version, fields),
#: copied from `_to_block_type()` and `_to_block_schema()` of each class in
#: `prefect.blocks.notifications`, so that a Prefect client saving a `SlackWebhook` finds its
#: type and schema here, checksum for checksum, instead of registering its own.
PREFECT_NOTIFICATION_BLOCK_TYPES: Final[tuple[dict[str, Any], ...]] = tuple(
    json.loads(
        resources.files("models.notifications").joinpath("prefect_block_types.json").read_bytes()
    )
)

#: The namespace of the registered types' and schemas' ids.
BLOCK_TYPE_NAMESPACE: Final = UUID("6b1f6a52-3c1e-4f61-9d55-2f0f5c0e9a11")

#: The custom webhook schema's version: Prefect's fields plus our `signing_secret`.
SIGNED_WEBHOOK_VERSION: Final = "3.9.1+signalbox"


def signed_webhook_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The custom webhook's fields with a secret to sign requests with (Standard Webhooks)."""
    signed = copy.deepcopy(fields)
    signed["properties"]["signing_secret"] = {
        "anyOf": [{"format": "password", "type": "string", "writeOnly": True}, {"type": "null"}],
        "default": None,
        "title": "Signing Secret",
        "description": (
            "A `whsec_<base64>` secret: when set, every request carries webhook-id, "
            "webhook-timestamp and webhook-signature headers (Standard Webhooks)."
        ),
        "position": len(signed["properties"]),
    }
    signed["secret_fields"] = [*signed.get("secret_fields", []), "signing_secret"]
    return signed


def notification_block_types() -> list[dict[str, Any]]:
    """What is registered: each type with the one schema Signalbox registers for it."""
    registered = []
    for definition in PREFECT_NOTIFICATION_BLOCK_TYPES:
        entry = copy.deepcopy(definition)
        if entry["slug"] == "custom-webhook":
            entry["fields"] = signed_webhook_fields(entry["fields"])
            entry["version"] = SIGNED_WEBHOOK_VERSION
        registered.append(entry)
    return registered


async def register_notification_block_types(session: AsyncSession) -> None:
    """Insert the nine types and their schemas where missing; safe to run any number of times.

    A type someone registered first under the same slug (a Prefect client) is kept, and our
    schema is attached to it.
    """
    now = utcnow()
    for entry in notification_block_types():
        await session.execute(
            dialect_insert(session, BlockType)
            .values(
                id=uuid5(BLOCK_TYPE_NAMESPACE, f"block-type:{entry['slug']}"),
                created=now,
                updated=now,
                name=entry["name"],
                slug=entry["slug"],
                logo_url=entry["logo_url"],
                documentation_url=entry["documentation_url"],
                description=entry["description"],
                code_example=entry["code_example"],
                is_protected=True,
            )
            .on_conflict_do_nothing()
        )
        block_type_id = await session.scalar(
            select(BlockType.id).where(BlockType.slug == entry["slug"])
        )
        await session.execute(
            dialect_insert(session, BlockSchema)
            .values(
                id=uuid5(BLOCK_TYPE_NAMESPACE, f"block-schema:{entry['slug']}:{entry['version']}"),
                created=now,
                updated=now,
                checksum=block_schema_checksum(entry["fields"]),
                version=entry["version"],
                fields=entry["fields"],
                capabilities=entry["capabilities"],
                block_type_id=block_type_id,
            )
            .on_conflict_do_nothing()
        )
