"""Blocks through the API as the Prefect client uses them (CLIENT-PROTOCOL.md scenario f):
types, schemas by checksum, documents with secrets, references, and encryption at rest."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from models.blocks.registration import catalog_block_types
from models.blocks.tables import BlockDocument, BlockType
from models.db.database import Database
from models.notifications.block_types import SIGNED_WEBHOOK_VERSION
from tests.unit.test_block_checksums import MY_CONFIG_FIELDS, PREFECT_CHECKSUMS

MY_CONFIG_CHECKSUM = "sha256:ab3f477577a7140f8ee7dd8d2da25664220baf06cacd2c76b8b5d8c79bb84eb9"
MY_CONFIG_TYPE = {
    "name": "My Config",
    "slug": "my-config",
    "logo_url": None,
    "documentation_url": None,
    "description": "custom json-ish block",
    "code_example": "```python\nfrom __main__ import MyConfig\n```",
}


async def register_my_config(api: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """The client's register step: type (404 then create), schema (404 then create)."""
    assert (await api.get("/api/block_types/slug/my-config")).status == 404
    response = await api.post("/api/block_types/", json=MY_CONFIG_TYPE)
    assert response.status == 201, await response.text()
    block_type = await response.json()
    lookup = f"/api/block_schemas/checksum/{MY_CONFIG_CHECKSUM}?version=non-versioned"
    assert (await api.get(lookup)).status == 404
    response = await api.post(
        "/api/block_schemas/",
        json={
            "fields": MY_CONFIG_FIELDS,
            "block_type_id": block_type["id"],
            "capabilities": [],
            "version": "non-versioned",
        },
    )
    assert response.status == 201, await response.text()
    schema = await response.json()
    assert schema["checksum"] == MY_CONFIG_CHECKSUM
    assert schema["block_type"]["slug"] == "my-config"
    assert (await (await api.get(lookup)).json())["id"] == schema["id"]
    return block_type, schema


async def save_my_config(
    api: TestClient, block_type: dict[str, Any], schema: dict[str, Any], data: dict[str, Any]
) -> Any:
    return await api.post(
        "/api/block_documents/",
        json={
            "name": "myjson",
            "data": data,
            "block_schema_id": schema["id"],
            "block_type_id": block_type["id"],
            "is_anonymous": False,
        },
    )


async def test_the_clients_save_and_load_round_trip_with_secrets_starred_unless_asked(
    api: TestClient, database: Database
) -> None:
    block_type, schema = await register_my_config(api)
    response = await save_my_config(
        api, block_type, schema, {"value": {"k": [1, 2]}, "token": "tok"}
    )
    assert response.status == 201
    created = await response.json()
    assert created["data"] == {"value": {"k": [1, 2]}, "token": "********"}
    assert created["block_type_name"] == "My Config"
    assert created["block_schema"]["checksum"] == MY_CONFIG_CHECKSUM

    by_name = "/api/block_types/slug/my-config/block_documents/name/myjson"
    loaded = await (await api.get(f"{by_name}?include_secrets=true")).json()
    assert loaded["data"] == {"value": {"k": [1, 2]}, "token": "tok"}
    assert (await (await api.get(by_name)).json())["data"]["token"] == "********"

    # At rest, the data is one encrypted token: no value can be read from the row.
    async with database.read_sessions() as session:
        stored = await session.scalar(select(BlockDocument.encrypted_data))
    assert stored is not None and "tok" not in stored and '"k"' not in stored


async def test_a_taken_name_is_409_and_overwriting_merges_the_data(api: TestClient) -> None:
    block_type, schema = await register_my_config(api)
    first = await (
        await save_my_config(api, block_type, schema, {"value": {"k": 1}, "token": "t"})
    ).json()
    again = await save_my_config(api, block_type, schema, {"value": {"k": 3}, "token": None})
    assert again.status == 409
    assert await again.json() == {"detail": "Block already exists"}

    # What the client sends with overwrite=True: merged into the stored data by default.
    response = await api.patch(
        f"/api/block_documents/{first['id']}",
        json={"block_schema_id": schema["id"], "data": {"value": {"k": 3}}},
    )
    assert response.status == 204
    loaded = await (
        await api.get(f"/api/block_documents/{first['id']}?include_secrets=true")
    ).json()
    assert loaded["data"] == {"value": {"k": 3}, "token": "t"}

    # Stars sent back keep the secret; without merging, the data is replaced.
    await api.patch(
        f"/api/block_documents/{first['id']}",
        json={"data": {"value": {"k": 4}, "token": "********"}, "merge_existing_data": False},
    )
    loaded = await (
        await api.get(f"/api/block_documents/{first['id']}?include_secrets=true")
    ).json()
    assert loaded["data"] == {"value": {"k": 4}, "token": "t"}


async def test_anonymous_documents_get_a_name_and_stay_out_of_listings(api: TestClient) -> None:
    block_type, schema = await register_my_config(api)
    response = await api.post(
        "/api/block_documents/",
        json={"data": {"value": {}}, "block_schema_id": schema["id"],
              "block_type_id": block_type["id"], "is_anonymous": True},
    )  # fmt: skip
    assert response.status == 201
    anonymous = await response.json()
    assert anonymous["name"].startswith("anonymous-") and anonymous["is_anonymous"]
    await save_my_config(api, block_type, schema, {"value": {}})

    listed = await (await api.post("/api/block_documents/filter", json={})).json()
    assert [document["name"] for document in listed] == ["myjson"]
    everything = await (
        await api.post(
            "/api/block_documents/filter", json={"block_documents": {"is_anonymous": None}}
        )
    ).json()
    assert len(everything) == 2
    count = await api.post(
        "/api/block_documents/count", json={"block_types": {"slug": {"any_": ["my-config"]}}}
    )
    assert await count.json() == 1
    missing = await api.post("/api/block_documents/", json={"data": {}, "block_schema_id":
                             schema["id"], "block_type_id": block_type["id"]})  # fmt: skip
    assert missing.status == 422


async def test_a_reference_nests_the_referenced_documents_data(api: TestClient) -> None:
    block_type, schema = await register_my_config(api)
    child = await (
        await save_my_config(api, block_type, schema, {"value": {"c": 1}, "token": "x"})
    ).json()
    response = await api.post(
        "/api/block_documents/",
        json={
            "name": "parent",
            "data": {"value": {"p": 1}, "inner": {"$ref": {"block_document_id": child["id"]}}},
            "block_schema_id": schema["id"],
            "block_type_id": block_type["id"],
        },
    )
    assert response.status == 201, await response.text()
    parent = await response.json()
    assert parent["data"]["inner"] == {"value": {"c": 1}, "token": "********"}
    reference = parent["block_document_references"]["inner"]["block_document"]
    assert reference["id"] == child["id"] and reference["name"] == "myjson"

    # Deleting the referenced document removes the reference, not the parent.
    assert (await api.delete(f"/api/block_documents/{child['id']}")).status == 204
    parent = await (await api.get(f"/api/block_documents/{parent['id']}")).json()
    assert "inner" not in parent["data"]
    assert (await api.delete(f"/api/block_documents/{child['id']}")).status == 404


async def test_block_types_are_read_changed_listed_and_deleted(api: TestClient) -> None:
    block_type, _ = await register_my_config(api)
    assert (await api.post("/api/block_types/", json=MY_CONFIG_TYPE)).status == 409
    reserved = await api.post("/api/block_types/", json={**MY_CONFIG_TYPE, "name": "Prefect X",
                                                          "slug": "prefect-x"})  # fmt: skip
    assert reserved.status == 403
    assert await reserved.json() == {
        "detail": "Block type names beginning with 'Prefect' are reserved."
    }
    response = await api.patch(f"/api/block_types/{block_type['id']}", json={"description": "new"})
    assert response.status == 204
    read = await (await api.get(f"/api/block_types/{block_type['id']}")).json()
    assert read["description"] == "new" and read["code_example"] == MY_CONFIG_TYPE["code_example"]

    listed = await (
        await api.post(
            "/api/block_types/filter", json={"block_types": {"name": {"like_": "config"}}}
        )
    ).json()
    # Ours and the catalog's whose name holds "config", in any case, ordered by name.
    configs = [
        entry.model_dump() for entry in catalog_block_types() if "config" in entry.name.lower()
    ]
    expected = sorted([*configs, MY_CONFIG_TYPE], key=lambda entry: str(entry["name"]))
    assert [row["slug"] for row in listed] == [entry["slug"] for entry in expected]
    assert "my-config" in [row["slug"] for row in listed] and len(configs) >= 5
    notify = await (
        await api.post(
            "/api/block_types/filter",
            json={"block_schemas": {"block_capabilities": {"all_": ["notify"]}}},
        )
    ).json()
    assert sorted(row["slug"] for row in notify) == sorted(PREFECT_CHECKSUMS)

    assert (await api.delete(f"/api/block_types/{block_type['id']}")).status == 204
    assert (await api.get(f"/api/block_types/{block_type['id']}")).status == 404


async def test_the_nine_notification_types_are_registered_with_prefects_schemas(
    api: TestClient,
) -> None:
    for slug, checksum in PREFECT_CHECKSUMS.items():
        response = await api.get(f"/api/block_types/slug/{slug}")
        assert response.status == 200, slug
        block_type = await response.json()
        assert not block_type["is_protected"]  # as on Prefect's server
        found = await api.get(f"/api/block_schemas/checksum/{checksum}?version=3.9.1")
        assert (await found.json())["block_type_id"] == block_type["id"]
    slack = await (await api.get("/api/block_types/slug/slack-webhook")).json()
    schemas = await (
        await api.post("/api/block_schemas/filter",
                       json={"block_schemas": {"block_type_id": {"any_": [slack["id"]]}}})
    ).json()  # fmt: skip
    assert [schema["version"] for schema in schemas] == ["3.9.1"]
    assert "url" in schemas[0]["fields"]["secret_fields"]
    # Ours adds a signing secret, under its own version: the newest, so offered first.
    webhook = await (await api.get("/api/block_types/slug/custom-webhook")).json()
    schemas = await (
        await api.post("/api/block_schemas/filter",
                       json={"block_schemas": {"block_type_id": {"any_": [webhook["id"]]}}})
    ).json()  # fmt: skip
    assert [schema["version"] for schema in schemas] == [SIGNED_WEBHOOK_VERSION, "3.9.1"]
    assert "signing_secret" in schemas[0]["fields"]["secret_fields"]
    # A protected type (Secret) and its schemas cannot be deleted.
    secret = await (await api.get("/api/block_types/slug/secret")).json()
    refused = await api.delete(f"/api/block_types/{secret['id']}")
    assert refused.status == 403
    assert await refused.json() == {"detail": "protected block types cannot be deleted."}
    schemas = await (
        await api.post("/api/block_schemas/filter",
                       json={"block_schemas": {"block_type_id": {"any_": [secret["id"]]}}})
    ).json()  # fmt: skip
    assert (await api.delete(f"/api/block_schemas/{schemas[0]['id']}")).status == 403
    # Registering again changes nothing.
    assert (await api.post("/api/block_types/install_system_block_types")).status == 200
    everything = await (await api.post("/api/block_types/filter", json={"limit": 200})).json()
    assert len(everything) == len(catalog_block_types()) == 54


async def test_the_notification_types_are_registered_when_the_api_starts(
    api: TestClient, database: Database
) -> None:
    # No request has been made yet: the API registered the catalog while it started.
    async with database.read_sessions() as session:
        slugs = sorted(await session.scalars(select(BlockType.slug)))
    assert slugs == sorted(entry.slug for entry in catalog_block_types())
    assert set(PREFECT_CHECKSUMS) <= set(slugs)
