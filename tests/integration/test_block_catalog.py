"""A fresh Signalbox lists the block catalog Prefect 3.9.1's server lists, and keeps it.

The API registers the catalog as it starts: the same block types in the same order, the same
schemas (checksum, version) newest first, with Signalbox's signed custom webhook beside
Prefect's; protected types as the reference protects them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from api.app import create_app
from models.blocks.checksums import block_schema_checksum
from models.blocks.registration import block_type_id
from models.blocks.tables import BlockSchema, BlockType
from models.db.database import Database
from models.notifications.block_types import SIGNED_WEBHOOK_VERSION
from models.settings import Settings
from tests.integration.reference_block_catalog import (
    REFERENCE_BLOCK_SCHEMAS,
    REFERENCE_BLOCK_TYPES,
)

EVERYTHING = {"limit": 200}


async def listed(api: TestClient, path: str, body: dict[str, Any] = EVERYTHING) -> Any:
    response = await api.post(path, json=body)
    assert response.status == 200, await response.text()
    return await response.json()


def with_signed_webhook(schemas: tuple[tuple[str, str, str], ...]) -> list[tuple[str, str]]:
    """The reference's (slug, version) list, newest first, with ours just before Prefect's."""
    expected: list[tuple[str, str]] = []
    for slug, version, _ in schemas:
        if (slug, version) == ("custom-webhook", "3.9.1"):
            expected.append((slug, SIGNED_WEBHOOK_VERSION))
        expected.append((slug, version))
    return expected


async def test_a_fresh_api_lists_the_reference_servers_block_types_and_schemas(
    api: TestClient,
) -> None:
    types = await listed(api, "/api/block_types/filter")
    assert [(row["slug"], row["is_protected"]) for row in types] == list(REFERENCE_BLOCK_TYPES)
    assert {row["id"] for row in types} == {
        block_type_id(slug).__str__() for slug, _ in REFERENCE_BLOCK_TYPES
    }

    schemas = await listed(api, "/api/block_schemas/filter")
    answered = [(row["block_type"]["slug"], row["version"]) for row in schemas]
    assert answered == with_signed_webhook(REFERENCE_BLOCK_SCHEMAS)
    checksums = {(row["block_type"]["slug"], row["version"], row["checksum"]) for row in schemas}
    assert checksums >= set(REFERENCE_BLOCK_SCHEMAS)
    for row in schemas:  # each one is what the client computes from the fields it reads
        assert block_schema_checksum(row["fields"]) == row["checksum"], row["block_type"]["slug"]


async def test_protected_types_and_their_schemas_cannot_be_deleted(api: TestClient) -> None:
    secret = await (await api.get("/api/block_types/slug/secret")).json()
    assert secret["is_protected"]
    refused = await api.delete(f"/api/block_types/{secret['id']}")
    assert refused.status == 403
    assert await refused.json() == {"detail": "protected block types cannot be deleted."}
    [schema] = await listed(
        api,
        "/api/block_schemas/filter",
        {"block_schemas": {"block_type_id": {"any_": [secret["id"]]}}},
    )
    refused = await api.delete(f"/api/block_schemas/{schema['id']}")
    assert refused.status == 403
    assert await refused.json() == {
        "detail": "Block schemas for protected block types cannot be deleted."
    }
    # As on Prefect's server, a protected type's description may be changed (a client whose
    # class reads differently sends this before saving); registering again restores it.
    changed = await api.patch(f"/api/block_types/{secret['id']}", json={"description": "mine"})
    assert changed.status == 204
    assert (await (await api.get("/api/block_types/slug/secret")).json())["description"] == "mine"
    assert (await api.post("/api/block_types/install_system_block_types")).status == 200
    restored = await (await api.get("/api/block_types/slug/secret")).json()
    assert restored["description"] == secret["description"]

    # The others are not protected, on Prefect's server either.
    s3 = await (await api.get("/api/block_types/slug/s3-bucket")).json()
    assert not s3["is_protected"]
    assert (await api.delete(f"/api/block_types/{s3['id']}")).status == 204
    assert (await api.get("/api/block_types/slug/s3-bucket")).status == 404


async def test_registering_again_changes_nothing(
    api: TestClient,
    database: Database,
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    async def snapshot() -> tuple[list[Any], list[Any]]:
        async with database.read_sessions() as session:
            types = (
                await session.execute(
                    select(BlockType.id, BlockType.updated).order_by(BlockType.id)
                )
            ).all()
            schemas = (
                await session.execute(
                    select(BlockSchema.id, BlockSchema.created).order_by(BlockSchema.id)
                )
            ).all()
        return list(types), list(schemas)

    before = await snapshot()
    assert len(before[0]) == 54 and len(before[1]) == 65
    assert (await api.post("/api/block_types/install_system_block_types")).status == 200
    await aiohttp_client(create_app(settings))  # a second API process starting
    assert await snapshot() == before


async def test_a_type_a_client_registered_first_is_adopted_by_the_catalog(
    database: Database,
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    first = await aiohttp_client(create_app(settings))
    secret = await (await first.get("/api/block_types/slug/secret")).json()
    # As if an older Signalbox had let a client register `secret` itself: its own id, a
    # description of its own, unprotected, and a schema of its own.
    async with database.sessions.begin() as session:
        await session.execute(
            BlockType.__table__.delete().where(BlockType.slug == "secret")  # type: ignore[attr-defined]
        )
    client_made = await first.post(
        "/api/block_types/",
        json={"name": "Secret", "slug": "secret", "description": "the client's own words"},
    )
    assert client_made.status == 201, await client_made.text()
    client_type = await client_made.json()
    assert not client_type["is_protected"] and client_type["id"] != secret["id"]

    again = await aiohttp_client(create_app(settings))  # the next start registers the catalog
    adopted = await (await again.get("/api/block_types/slug/secret")).json()
    assert adopted["id"] == client_type["id"]
    assert adopted["is_protected"]
    assert adopted["description"] == secret["description"]
    [schema] = await listed(
        again,
        "/api/block_schemas/filter",
        {"block_schemas": {"block_type_id": {"any_": [adopted["id"]]}}},
    )
    assert (schema["version"], schema["checksum"]) == next(
        (version, checksum)
        for slug, version, checksum in REFERENCE_BLOCK_SCHEMAS
        if slug == "secret"
    )
