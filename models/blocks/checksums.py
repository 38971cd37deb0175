"""The checksum that names a block schema, computed exactly as the Prefect client computes it.

The client asks `GET /api/block_schemas/checksum/{checksum}` with the checksum of its own
class before it registers anything, so ours must be byte for byte the same: Prefect 3.9.1's
`Block._calculate_schema_checksum`, which hashes `json.dumps(((fields,), {}), sort_keys=True)`
after dropping every `secret_fields` key and every definition that is itself a block.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def block_schema_checksum(fields: dict[str, Any]) -> str:
    """`sha256:<hex>` of a block schema's fields, as the Prefect client computes it."""
    for_checksum = without_keys(fields, "secret_fields")
    definitions = for_checksum.get("definitions")
    if definitions:
        kept = non_block_definitions(for_checksum, definitions)
        if kept:
            for_checksum["definitions"] = kept
        else:
            for_checksum.pop("definitions")  # absent rather than empty, as the client does
    # Prefect hashes the JSON of (args, kwargs) = ((fields,), {}): a list of a list and a dict.
    text = json.dumps([[for_checksum], {}], sort_keys=True)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def without_keys(value: Any, key: str) -> Any:
    """A copy of nested dicts with `key` removed at every level (lists are left as they are)."""
    if not isinstance(value, dict):
        return value
    return {name: without_keys(item, key) for name, item in value.items() if name != key}


def non_block_definitions(schema: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """The definitions `schema` refers to, directly or through each other, that are not blocks."""
    kept: dict[str, Any] = {}
    for reference in nested_references(schema):
        if not isinstance(reference, str):
            continue
        key = reference.replace("#/definitions/", "")
        definition = definitions.get(key)
        if definition and definition.get("block_type_slug") is None:
            kept = {**kept, key: definition, **non_block_definitions(definition, definitions)}
    return kept


def nested_references(value: Any) -> list[Any]:
    """Every `$ref` value anywhere inside `value`, in document order."""
    found: list[Any] = []
    if isinstance(value, dict):
        if reference := value.get("$ref"):
            found.append(reference)
        for item in value.values():
            found.extend(nested_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(nested_references(item))
    return found
