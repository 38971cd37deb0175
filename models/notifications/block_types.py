"""Signalbox's own version of a notification block schema: the custom webhook that signs.

Prefect's nine notification block types come with the rest of its block catalog
(`models.blocks.prefect_catalog`); what is Signalbox's is one more version of the custom
webhook's schema, with a secret to sign requests with, registered beside Prefect's.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from models.blocks.checksums import block_schema_checksum
from models.blocks.prefect_catalog import CatalogBlockSchema

#: The block type whose schema Signalbox adds a version of.
SIGNED_WEBHOOK_SLUG: Final = "custom-webhook"

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


def signed_webhook_schema(prefect_schema: CatalogBlockSchema) -> CatalogBlockSchema:
    """Signalbox's version of Prefect's custom webhook schema, under its own version."""
    fields = signed_webhook_fields(prefect_schema.fields)
    return CatalogBlockSchema(
        block_type_slug=SIGNED_WEBHOOK_SLUG,
        version=SIGNED_WEBHOOK_VERSION,
        capabilities=prefect_schema.capabilities,
        checksum=block_schema_checksum(fields),
        fields=fields,
    )
