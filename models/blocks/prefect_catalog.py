"""Prefect 3.9.1's block catalog: the block types and schemas its server registers at start.

`prefect_catalog.json` beside this module is that catalog as data: the 54 types (its core
types `secret`, `webhook` and `local-file-system`, protected; the other blocks of the
`prefect` package; the collection types of its bundled registry data) and their 64 schemas,
listed in the order the reference server registers them. Every schema's `checksum` is the one
the reference server gives it, and its `fields` are what the Prefect client hashes into that
checksum, so a client with the same class finds the schema instead of registering its own.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict

from models.schemas.blocks import BlockTypeCreate


class CatalogBlockType(BlockTypeCreate):
    """A block type of the catalog: what a client would register, and whether it is protected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    is_protected: bool


class CatalogBlockSchema(BaseModel):
    """A block schema of the catalog: its type's slug, version, capabilities and fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_type_slug: str
    version: str
    capabilities: list[str]
    checksum: str
    fields: dict[str, Any]


class Catalog(BaseModel):
    """The whole catalog, each list in registration order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_types: list[CatalogBlockType]
    block_schemas: list[CatalogBlockSchema]


@functools.cache
def prefect_catalog() -> Catalog:
    """The catalog, read once per process from the data file shipped with the package."""
    data = resources.files("models.blocks").joinpath("prefect_catalog.json").read_bytes()
    return Catalog.model_validate_json(data)
