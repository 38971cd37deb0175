"""Block documents: stored blocks, encrypted at rest, with the documents they refer to.

A document's data is one encrypted token. A field whose value is `{"$ref": {"block_document_id":
...}}` is not stored in it: it becomes a reference row, and reading the document nests the
referenced document's data back in its place (recursively, as the Prefect client expects).
Secrets are starred on the way out unless the caller asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import delete, select

from models.blocks.catalog import (
    read_block_schema,
    read_block_type,
    read_block_type_by_slug,
    read_block_types_by_id,
)
from models.blocks.encryption import decrypt_data, encrypt_data
from models.blocks.secrets import keep_unchanged_secrets, obfuscate_secrets, secret_values
from models.blocks.tables import BlockDocument, BlockDocumentReference, BlockSchema, BlockType
from models.db.dialect import dialect_insert
from models.db.types import utcnow
from models.errors import InvalidRequest, ObjectAlreadyExists, ObjectNotFound
from models.filters.base import count_matching
from models.filters.blocks import BlockDocumentSort
from models.notifications.destinations import check_block_urls
from models.schemas.blocks import (
    BlockDocumentCreate,
    BlockDocumentResponse,
    BlockDocumentUpdate,
    BlockSchemaResponse,
    BlockTypeResponse,
)

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.blocks.encryption import BlockKey
    from models.filters.blocks import BlockDocumentCountBody, BlockDocumentFilterBody

#: How deep references are followed; deeper graphs are cut (Prefect refuses past 50).
MAX_REFERENCE_DEPTH: Final = 50


@dataclass(frozen=True)
class BlockData:
    """A document's data with secrets in clear, for a sender: never returned or logged."""

    block_type_slug: str
    data: dict[str, Any]
    #: Every secret text the data holds, to blank out of anything recorded.
    secrets: tuple[str, ...]


def separate_references(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, UUID]]]:
    """The data without its reference fields, and (field, referenced document id) pairs."""
    plain: dict[str, Any] = {}
    references: list[tuple[str, UUID]] = []
    for key, value in data.items():
        if isinstance(value, dict) and "$ref" in value:
            target = (
                value["$ref"].get("block_document_id") if isinstance(value["$ref"], dict) else None
            )
            try:
                references.append((key, UUID(str(target))))
            except ValueError:
                raise InvalidRequest(
                    f"Received block reference without a block_document_id in key {key}"
                ) from None
        else:
            plain[key] = value
    return plain, references


async def create_block_document(
    session: AsyncSession, body: BlockDocumentCreate, block_key: BlockKey
) -> BlockDocumentResponse:
    """Store a new document and return it as read back; its name is unique within its block
    type (ObjectAlreadyExists)."""
    block_type = await read_block_type(session, body.block_type_id)
    await read_block_schema(session, body.block_schema_id)
    plain, references = separate_references(body.data)
    check_block_urls(block_type.slug, plain)
    now = utcnow()
    document_id = uuid4()
    inserted = await session.scalar(
        dialect_insert(session, BlockDocument)
        .values(
            id=document_id,
            created=now,
            updated=now,
            name=body.name or f"anonymous-{uuid4()}",
            encrypted_data=encrypt_data(block_key, plain),
            block_schema_id=body.block_schema_id,
            block_type_id=body.block_type_id,
            block_type_name=block_type.name,
            is_anonymous=body.is_anonymous,
        )
        .on_conflict_do_nothing(index_elements=["block_type_id", "name"])
        .returning(BlockDocument.id)
    )
    if inserted is None:
        raise ObjectAlreadyExists("Block already exists")
    await add_references(session, document_id, references)
    return await read_block_document(session, document_id, block_key)


async def add_references(
    session: AsyncSession, parent_id: UUID, references: list[tuple[str, UUID]]
) -> None:
    for name, target in references:
        if target == parent_id:
            raise InvalidRequest("A block document cannot reference itself")
        if await session.get(BlockDocument, target) is None:
            raise ObjectNotFound(f"Referenced block document {target} not found")
        now = utcnow()
        session.add(
            BlockDocumentReference(
                id=uuid4(),
                created=now,
                updated=now,
                name=name,
                parent_block_document_id=parent_id,
                reference_block_document_id=target,
            )
        )
    await session.flush()


async def update_block_document(
    session: AsyncSession, document_id: UUID, body: BlockDocumentUpdate, block_key: BlockKey
) -> None:
    """Change a document's data (merged into the stored data by default) and schema.

    Secrets sent back as stars keep their stored value. Raises ObjectNotFound.
    """
    document = await session.get(BlockDocument, document_id, with_for_update=True)
    if document is None:
        raise ObjectNotFound("Block document not found")
    # As Prefect: with merging, an update without data leaves the data alone; without
    # merging, the data sent (empty if none) replaces all of it.
    if "data" in body.model_fields_set or not body.merge_existing_data:
        schema = await read_block_schema(session, document.block_schema_id)
        current = decrypt_data(block_key, document.encrypted_data)
        update = keep_unchanged_secrets(body.data, current, schema.fields.get("secret_fields", []))
        plain, references = separate_references(update)
        if body.merge_existing_data:
            plain = {**current, **plain}
        check_block_urls((await read_block_type(session, document.block_type_id)).slug, plain)
        document.encrypted_data = encrypt_data(block_key, plain)
        await replace_references(
            session, document_id, references, keep_others=body.merge_existing_data, sent=update
        )
    if body.block_schema_id is not None and body.block_schema_id != document.block_schema_id:
        proposed = await read_block_schema(session, body.block_schema_id)
        if proposed.block_type_id != document.block_type_id:
            raise InvalidRequest(
                "Must migrate block document to a block schema of the same block type."
            )
        document.block_schema_id = proposed.id
    document.updated = utcnow()


async def replace_references(
    session: AsyncSession,
    parent_id: UUID,
    references: list[tuple[str, UUID]],
    *,
    keep_others: bool,
    sent: dict[str, Any],
) -> None:
    """Make the document's references those given; with `keep_others`, fields not sent keep
    theirs."""
    stored = list(
        await session.scalars(
            select(BlockDocumentReference).where(
                BlockDocumentReference.parent_block_document_id == parent_id
            )
        )
    )
    wanted = dict(references)
    for reference in stored:
        unchanged = wanted.get(reference.name) == reference.reference_block_document_id
        untouched = keep_others and reference.name not in sent
        if unchanged:
            del wanted[reference.name]
        elif not untouched:
            await session.delete(reference)
    await session.flush()
    await add_references(session, parent_id, list(wanted.items()))


async def delete_block_document(session: AsyncSession, document_id: UUID) -> None:
    """Delete a document (its references and notification policies go with it)."""
    result = await session.execute(delete(BlockDocument).where(BlockDocument.id == document_id))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise ObjectNotFound("Block document not found")


async def read_block_documents(
    session: AsyncSession,
    where: ColumnElement[bool],
    *,
    order_by: list[ColumnElement[Any]],
    block_key: BlockKey,
    include_secrets: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[BlockDocumentResponse]:
    """The documents matching `where`, each with its references nested in its data."""
    query = select(BlockDocument).where(where).order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    documents = list(await session.scalars(query))
    return await describe_documents(session, documents, block_key, include_secrets)


async def filter_block_documents(
    session: AsyncSession, body: BlockDocumentFilterBody, block_key: BlockKey
) -> list[BlockDocumentResponse]:
    """The documents matching a filter body, sorted and paged (secrets only when it asks)."""
    return await read_block_documents(
        session,
        body.where(session.get_bind().dialect.name),
        order_by=body.order_by(),
        block_key=block_key,
        include_secrets=body.include_secrets,
        limit=body.limit,
        offset=body.offset,
    )


async def count_block_documents(session: AsyncSession, body: BlockDocumentCountBody) -> int:
    """How many block documents match a filter body."""
    return await count_matching(session, BlockDocument.id, body)


async def read_named_block_documents(
    session: AsyncSession, slug: str, block_key: BlockKey, *, include_secrets: bool = False
) -> list[BlockDocumentResponse]:
    """Every named (not anonymous) document of the block type with that slug, by name;
    raises ObjectNotFound for an unknown slug."""
    block_type = await read_block_type_by_slug(session, slug)
    return await read_block_documents(
        session,
        (BlockDocument.block_type_id == block_type.id) & BlockDocument.is_anonymous.is_(False),
        order_by=BlockDocumentSort.NAME_ASC.order_by(),
        block_key=block_key,
        include_secrets=include_secrets,
    )


async def read_block_document(
    session: AsyncSession, document_id: UUID, block_key: BlockKey, *, include_secrets: bool = False
) -> BlockDocumentResponse:
    """One document by id; raises ObjectNotFound."""
    found = await read_block_documents(
        session, BlockDocument.id == document_id, order_by=[], block_key=block_key,
        include_secrets=include_secrets,
    )  # fmt: skip
    if not found:
        raise ObjectNotFound("Block document not found")
    return found[0]


async def read_block_document_by_name(
    session: AsyncSession,
    slug: str,
    name: str,
    block_key: BlockKey,
    *,
    include_secrets: bool = False,
) -> BlockDocumentResponse:
    """The document of that block type and name; raises ObjectNotFound."""
    of_type = select(BlockType.id).where(BlockType.slug == slug).scalar_subquery()
    found = await read_block_documents(
        session,
        (BlockDocument.block_type_id == of_type) & (BlockDocument.name == name),
        order_by=[],
        block_key=block_key,
        include_secrets=include_secrets,
    )
    if not found:
        raise ObjectNotFound("Block document not found")
    return found[0]


async def read_block_data(
    session: AsyncSession, document_id: UUID, block_key: BlockKey
) -> BlockData:
    """A document's data with secrets in clear, and the list of those secrets; ObjectNotFound."""
    document = await read_block_document(session, document_id, block_key, include_secrets=True)
    fields = document.block_schema.fields if document.block_schema else {}
    secrets = secret_values(document.data, fields.get("secret_fields", []))
    slug = document.block_type.slug if document.block_type else ""
    return BlockData(slug, document.data, tuple(secret for secret in secrets if secret))


async def describe_documents(
    session: AsyncSession,
    documents: list[BlockDocument],
    block_key: BlockKey,
    include_secrets: bool,
) -> list[BlockDocumentResponse]:
    """Responses for `documents`: data decrypted (secrets starred unless included) and the
    referenced documents, loaded breadth first, nested in."""
    loaded = {document.id: document for document in documents}
    children: dict[UUID, list[tuple[str, UUID]]] = {}
    frontier = set(loaded)
    for _ in range(MAX_REFERENCE_DEPTH):
        if not frontier:
            break
        rows = await session.execute(
            select(
                BlockDocumentReference.parent_block_document_id,
                BlockDocumentReference.name,
                BlockDocumentReference.reference_block_document_id,
            ).where(BlockDocumentReference.parent_block_document_id.in_(frontier))
        )
        new: set[UUID] = set()
        for parent, name, child in rows:
            children.setdefault(parent, []).append((name, child))
            if child not in loaded:
                new.add(child)
        if new:
            for child_document in await session.scalars(
                select(BlockDocument).where(BlockDocument.id.in_(new))
            ):
                loaded[child_document.id] = child_document
        frontier = new

    schema_ids = {document.block_schema_id for document in loaded.values()}
    schemas = {
        schema.id: schema
        for schema in await session.scalars(
            select(BlockSchema).where(BlockSchema.id.in_(schema_ids))
        )
    }
    type_ids = {document.block_type_id for document in loaded.values()}
    type_ids |= {schema.block_type_id for schema in schemas.values()}
    types = {
        type_id: BlockTypeResponse.model_validate(row)
        for type_id, row in (await read_block_types_by_id(session, type_ids)).items()
    }

    def data_of(document_id: UUID, path: tuple[UUID, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        document = loaded[document_id]
        data = decrypt_data(block_key, document.encrypted_data)
        schema = schemas.get(document.block_schema_id)
        if not include_secrets and schema is not None:
            data = obfuscate_secrets(data, schema.fields.get("secret_fields", []))
        references: dict[str, Any] = {}
        for name, child_id in children.get(document_id, []):
            if child_id in path or child_id not in loaded:
                continue  # a cycle, or a graph deeper than we follow
            child = loaded[child_id]
            data[name], child_references = data_of(child_id, (*path, document_id))
            child_type = types.get(child.block_type_id)
            references[name] = {
                "block_document": {
                    "id": str(child.id),
                    "name": child.name,
                    "block_type": child_type.model_dump(mode="json") if child_type else None,
                    "is_anonymous": child.is_anonymous,
                    "block_document_references": child_references,
                }
            }
        return data, references

    responses = []
    for document in documents:
        data, references = data_of(document.id, ())
        schema = schemas.get(document.block_schema_id)
        schema_response = None
        if schema is not None:
            schema_response = BlockSchemaResponse.model_validate(schema).model_copy(
                update={"block_type": types.get(schema.block_type_id)}
            )
        responses.append(
            BlockDocumentResponse(
                id=document.id,
                created=document.created,
                updated=document.updated,
                name=document.name,
                data=data,
                block_schema_id=document.block_schema_id,
                block_schema=schema_response,
                block_type_id=document.block_type_id,
                block_type_name=document.block_type_name,
                block_type=types.get(document.block_type_id),
                block_document_references=references,
                is_anonymous=document.is_anonymous,
            )
        )
    return responses
