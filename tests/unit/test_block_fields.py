"""A block document's fields as its page lists them: secret fields starred whatever the data
holds, references as links, titles from the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from api.ui.block_fields import block_fields
from models.schemas.blocks import BlockDocumentResponse, BlockSchemaResponse


def document(data: dict[str, Any], fields: dict[str, Any], references: Any = None) -> Any:
    now = datetime.now(UTC)
    type_id, schema_id = uuid4(), uuid4()
    schema = BlockSchemaResponse.model_construct(
        id=schema_id, fields=fields, block_type_id=type_id, capabilities=[]
    )
    return BlockDocumentResponse(
        id=uuid4(), created=now, updated=now, name="doc", data=data,
        block_schema_id=schema_id, block_schema=schema, block_type_id=type_id,
        block_type_name="T", block_type=None,
        block_document_references=references or {}, is_anonymous=False,
    )  # fmt: skip


def test_a_whole_secret_field_is_starred_even_if_the_data_holds_its_value() -> None:
    fields = block_fields(
        document(
            {"user": "ann", "token": "clear-text", "unset": None},
            {"properties": {"user": {"title": "User"}}, "secret_fields": ["token", "unset"]},
        )
    )
    by_name = {field.name: field for field in fields}
    assert by_name["token"].secret and by_name["token"].value == "********"
    assert by_name["unset"].secret and by_name["unset"].value is None
    assert by_name["user"].value == "ann" and not by_name["user"].secret
    assert "clear-text" not in repr(fields)


def test_fields_follow_the_schema_order_then_the_rest() -> None:
    fields = block_fields(
        document(
            {"extra": 1, "b": 2, "a": 3},
            {"properties": {"a": {"title": "A field", "description": "first"}, "b": {}}},
        )
    )
    assert [field.name for field in fields] == ["a", "b", "extra"]
    assert fields[0].title == "A field" and fields[0].description == "first"
    assert fields[1].title == "B"


def test_a_reference_is_a_link_not_the_referenced_data() -> None:
    target = uuid4()
    references = {
        "login_key": {
            "block_document": {"id": str(target), "name": "creds", "block_type": {"name": "Login"}}
        }
    }
    fields = block_fields(document({"login_key": {"password": "x"}}, {}, references))
    (field,) = fields
    assert field.title == "Login Key"
    assert field.reference_id == target
    assert field.reference_name == "creds" and field.reference_type == "Login"
    assert field.value is None
