"""Filters of block types, block schemas and block documents, and the bodies that carry them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from models.blocks.tables import BlockDocument, BlockSchema, BlockType
from models.db.dialect import tags_include_all
from models.filters.base import FilterBody, FilterModel, Listing, ObjectFilter, Operator, combine
from models.filters.criteria import (
    BoolCriteria,
    FilterText,
    IdCriteria,
    TextCriteria,
    values_field,
)


class CapabilitiesCriteria(FilterModel):
    """The schema has every capability listed (`notify`, `read-path`, ...)."""

    all_: list[FilterText] | None = values_field()

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        if not self.all_:
            return None
        return tags_include_all(BlockSchema.capabilities, self.all_, dialect)


class BlockTypeFilter(ObjectFilter):
    """Criteria on block types."""

    name: TextCriteria | None = None
    slug: TextCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.name.clause(BlockType.name) if self.name else None,
            self.slug.clause(BlockType.slug) if self.slug else None,
        ]


class BlockSchemaFilter(ObjectFilter):
    """Criteria on block schemas."""

    id: IdCriteria | None = None
    block_type_id: IdCriteria | None = None
    block_capabilities: CapabilitiesCriteria | None = None
    version: TextCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(BlockSchema.id) if self.id else None,
            self.block_type_id.clause(BlockSchema.block_type_id) if self.block_type_id else None,
            self.block_capabilities.clause(dialect) if self.block_capabilities else None,
            self.version.clause(BlockSchema.version) if self.version else None,
        ]


class BlockDocumentFilter(ObjectFilter):
    """Criteria on block documents; anonymous documents are left out unless asked for."""

    id: IdCriteria | None = None
    # Prefect's default: a filter that says nothing about anonymity hides anonymous ones.
    is_anonymous: BoolCriteria | None = BoolCriteria(eq_=False)
    block_type_id: IdCriteria | None = None
    name: TextCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(BlockDocument.id) if self.id else None,
            self.is_anonymous.clause(BlockDocument.is_anonymous) if self.is_anonymous else None,
            self.block_type_id.clause(BlockDocument.block_type_id) if self.block_type_id else None,
            self.name.clause(BlockDocument.name) if self.name else None,
        ]


class BlockDocumentSort(StrEnum):
    """The orders block documents can be listed in."""

    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    BLOCK_TYPE_AND_NAME_ASC = "BLOCK_TYPE_AND_NAME_ASC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        terms: dict[BlockDocumentSort, list[ColumnElement[Any]]] = {
            BlockDocumentSort.NAME_ASC: [BlockDocument.name.asc()],
            BlockDocumentSort.NAME_DESC: [BlockDocument.name.desc()],
            BlockDocumentSort.BLOCK_TYPE_AND_NAME_ASC: [
                BlockDocument.block_type_name.asc(),
                BlockDocument.name.asc(),
            ],
        }
        return [*terms[self], BlockDocument.id.asc()]


def schema_exists(schemas: BlockSchemaFilter, dialect: str, **link: Any) -> ColumnElement[bool]:
    """Some block schema matching `schemas` belongs to the row (`block_type_id=...`, `id=...`)."""
    links = [getattr(BlockSchema, column) == value for column, value in link.items()]
    return exists(select(BlockSchema.id).where(*links, schemas.where(dialect)))


class BlockTypeFilterBody(Listing):
    """The body of POST /api/block_types/filter: types, by their own fields and schemas'."""

    block_types: BlockTypeFilter | None = None
    block_schemas: BlockSchemaFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        clause = combine(
            Operator.and_,
            [
                self.block_types.clause(dialect) if self.block_types else None,
                schema_exists(self.block_schemas, dialect, block_type_id=BlockType.id)
                if self.block_schemas
                else None,
            ],
        )
        return BlockType.id.is_not(None) if clause is None else clause

    def order_by(self) -> list[ColumnElement[Any]]:
        return [BlockType.name.asc(), BlockType.id.asc()]


class BlockSchemaFilterBody(Listing):
    """The body of POST /api/block_schemas/filter; the newest schema comes first."""

    block_schemas: BlockSchemaFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        if self.block_schemas is None:
            return BlockSchema.id.is_not(None)
        return self.block_schemas.where(dialect)

    def order_by(self) -> list[ColumnElement[Any]]:
        return [BlockSchema.created.desc(), BlockSchema.id.desc()]


class BlockDocumentCriteria(FilterBody):
    """What the block-document filter and count bodies share."""

    block_documents: BlockDocumentFilter | None = None
    block_types: BlockTypeFilter | None = None
    block_schemas: BlockSchemaFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        documents = self.block_documents or BlockDocumentFilter()
        types = self.block_types.clause(dialect) if self.block_types else None
        clause = combine(
            Operator.and_,
            [
                documents.clause(dialect),
                BlockDocument.block_type_id.in_(select(BlockType.id).where(types))
                if types is not None
                else None,
                schema_exists(self.block_schemas, dialect, id=BlockDocument.block_schema_id)
                if self.block_schemas
                else None,
            ],
        )
        return BlockDocument.id.is_not(None) if clause is None else clause


class BlockDocumentCountBody(BlockDocumentCriteria):
    """The body of POST /api/block_documents/count."""


class BlockDocumentFilterBody(BlockDocumentCriteria, Listing):
    """The body of POST /api/block_documents/filter."""

    include_secrets: bool = False
    sort: BlockDocumentSort = BlockDocumentSort.NAME_ASC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()
