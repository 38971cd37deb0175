"""`signalbox database rotate-key`: every block document re-encrypted under the new key in
one transaction, documents written before the key-derivation function included; a document
the old key cannot read changes nothing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path
from uuid import UUID

from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select, update

from cli.main import signalbox
from models.blocks.catalog import read_block_type_by_slug
from models.blocks.documents import create_block_document, read_block_document
from models.blocks.encryption import KEY_FILE_NAME, SCRYPT_MARKER, BlockKey, block_key_for
from models.blocks.registration import register_block_catalog
from models.blocks.tables import BlockDocument, BlockSchema
from models.db.database import Database
from models.schemas.blocks import BlockDocumentCreate
from models.settings import Settings

OLD_PASSPHRASE = "correct horse battery staple"
NEW_PASSPHRASE = "tr0ub4dor&3 but longer"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


async def rotate(settings: Settings, *args: str) -> Result:
    """The CLI in a thread of its own: it runs its own event loop."""
    env = {
        "SIGNALBOX_DATABASE_URL": settings.database_url,
        "SIGNALBOX_HOME": str(settings.home),
        "SIGNALBOX_ENCRYPTION_KEY": (
            settings.encryption_key.get_secret_value() if settings.encryption_key else None
        ),
    }
    return await asyncio.to_thread(
        CliRunner().invoke, signalbox, ["database", "rotate-key", "-y", *args], env=env
    )


async def store_slack_blocks(database: Database, key: BlockKey, count: int) -> list[str]:
    async with database.sessions.begin() as session:
        await register_block_catalog(session)
        block_type = await read_block_type_by_slug(session, "slack-webhook")
        schema_id = await session.scalar(
            select(BlockSchema.id).where(BlockSchema.block_type_id == block_type.id).limit(1)
        )
        assert schema_id is not None
        ids = []
        for n in range(count):
            body = BlockDocumentCreate(
                name=f"slack-{n}",
                data={"url": f"{SLACK_URL}{n}"},
                block_schema_id=schema_id,
                block_type_id=block_type.id,
            )
            ids.append(str((await create_block_document(session, body, key)).id))
    return ids


async def tokens(database: Database) -> dict[str, str]:
    async with database.read_sessions() as session:
        rows = await session.execute(select(BlockDocument.id, BlockDocument.encrypted_data))
        return {str(document_id): token for document_id, token in rows}


async def urls(database: Database, key: BlockKey, ids: list[str]) -> list[str]:
    async with database.read_sessions() as session:
        return [
            (await read_block_document(session, document_id, key, include_secrets=True)).data["url"]
            for document_id in map(UUID, ids)
        ]


async def test_every_document_is_re_encrypted_under_the_new_passphrase_old_tokens_included(
    database: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"encryption_key": SecretStr(OLD_PASSPHRASE)})
    old = BlockKey(OLD_PASSPHRASE)
    ids = await store_slack_blocks(database, old, 3)
    # One document as written before the key-derivation function: the passphrase's SHA-256.
    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(OLD_PASSPHRASE.encode()).digest()))
    async with database.sessions.begin() as session:
        await session.execute(
            update(BlockDocument)
            .where(BlockDocument.id == UUID(ids[0]))
            .values(encrypted_data=legacy.encrypt(b'{"url": "https://legacy.example/x"}').decode())
        )

    result = await rotate(settings, "--new-key", NEW_PASSPHRASE)

    assert result.exit_code == 0, result.output
    assert "3 block documents re-encrypted" in result.output
    assert "SIGNALBOX_ENCRYPTION_KEY" in result.output
    assert NEW_PASSPHRASE not in result.output
    new = BlockKey(NEW_PASSPHRASE)
    assert await urls(database, new, ids) == [
        "https://legacy.example/x",
        f"{SLACK_URL}1",
        f"{SLACK_URL}2",
    ]
    assert all(token.startswith(SCRYPT_MARKER) for token in (await tokens(database)).values())
    async with database.read_sessions() as session:
        token = await session.scalar(select(BlockDocument.encrypted_data).limit(1))
    assert token is not None
    assert SLACK_URL not in token


async def test_the_home_folder_key_is_replaced_by_a_generated_one(
    database: Database, settings: Settings
) -> None:
    before = block_key_for(settings)
    old_file = (settings.home / KEY_FILE_NAME).read_text()
    ids = await store_slack_blocks(database, before, 2)

    result = await rotate(settings)

    assert result.exit_code == 0, result.output
    assert "2 block documents re-encrypted" in result.output
    new_file = (settings.home / KEY_FILE_NAME).read_text()
    assert new_file != old_file
    assert (settings.home / KEY_FILE_NAME).stat().st_mode & 0o077 == 0
    assert await urls(database, BlockKey(new_file), ids) == [f"{SLACK_URL}0", f"{SLACK_URL}1"]
    assert not list(Path(settings.home).glob(".*.new"))


async def test_a_document_the_old_key_cannot_read_changes_nothing(
    database: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"encryption_key": SecretStr(OLD_PASSPHRASE)})
    await store_slack_blocks(database, BlockKey(OLD_PASSPHRASE), 2)
    await store_slack_blocks_named(database, BlockKey("some other key entirely"))
    before = await tokens(database)

    result = await rotate(settings, "--new-key", NEW_PASSPHRASE)

    assert result.exit_code == 1
    assert "cannot be decrypted" in result.output
    assert "Nothing was changed" in result.output
    assert await tokens(database) == before


async def store_slack_blocks_named(database: Database, key: BlockKey) -> None:
    async with database.sessions.begin() as session:
        block_type = await read_block_type_by_slug(session, "slack-webhook")
        schema_id = await session.scalar(
            select(BlockSchema.id).where(BlockSchema.block_type_id == block_type.id).limit(1)
        )
        assert schema_id is not None
        body = BlockDocumentCreate(
            name="written-elsewhere",
            data={"url": SLACK_URL},
            block_schema_id=schema_id,
            block_type_id=block_type.id,
        )
        await create_block_document(session, body, key)
