"""Re-encrypting every block document under a new key (`signalbox database rotate-key`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from models.blocks.tables import BlockDocument

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.blocks.encryption import BlockKey


async def rotate_block_key(session: AsyncSession, old: BlockKey, new: BlockKey) -> int:
    """Decrypt every block document with `old` and store it encrypted with `new`; returns
    how many were rewritten.

    Raises UnreadableBlockData, naming nothing secret, when a document cannot be read with
    `old`: the caller's transaction then rolls back and every document keeps its old key.
    Documents are locked as they are read (PostgreSQL), so none changes under the rotation.
    """
    rows = (
        await session.execute(
            select(BlockDocument.id, BlockDocument.encrypted_data)
            .order_by(BlockDocument.id)
            .with_for_update()
        )
    ).all()
    for document_id, token in rows:
        plaintext = old.decrypt(token)
        await session.execute(
            update(BlockDocument)
            .where(BlockDocument.id == document_id)
            .values(encrypted_data=new.encrypt(plaintext))
        )
    return len(rows)
