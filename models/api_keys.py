"""API keys: credentials for callers of the API, each with a scope, stored as a digest only.

A key is `sb_` and 43 characters of `secrets.token_urlsafe(32)`: 256 random bits. Only its
SHA-256 digest is kept. A slow, salted hash (scrypt, bcrypt) protects passwords people
choose, which are few enough to guess; nobody can enumerate 2**256 random keys, so a leaked
digest gives nothing away, while a plain digest can be looked up through a unique index on
every request instead of being recomputed against every stored key.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final
from uuid import UUID, uuid4

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Name
from models.db.dialect import insert_ignoring_duplicates
from models.errors import ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: How every key begins, so that one pasted in a log or a chat is recognisable.
KEY_PREFIX: Final = "sb_"
#: Random bytes in a key (256 bits).
KEY_RANDOM_BYTES: Final = 32
#: Characters of a key kept in clear to tell keys apart in `signalbox api-key ls`.
SHOWN_CHARACTERS: Final = 8


class Scope(StrEnum):
    """What a key may do; each scope allows everything the ones before it allow."""

    READ = "read"  # GET, and the POSTs that only filter, count or page
    WRITE = "write"  # everything else a Prefect client and worker does
    ADMIN = "admin"  # secrets in clear, block documents, types and schemas, admin routes

    def allows(self, needed: Scope) -> bool:
        order = list(Scope)
        return order.index(self) >= order.index(needed)


class ApiKey(Base):
    """One API key: its name, scope and digest; revoked keys are kept, marked revoked."""

    __tablename__ = "api_key"

    id: Mapped[Id]
    created: Mapped[Created]
    name: Mapped[Name] = mapped_column(unique=True)
    scope: Mapped[str] = mapped_column(String(20))
    #: The hex SHA-256 of the whole key: what a presented key is looked up by.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: The key's first characters (`sb_` and a few more), shown to tell keys apart.
    shown: Mapped[str] = mapped_column(String(20))
    revoked: Mapped[datetime | None]


def digest_api_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_api_key() -> str:
    """A new random key; shown once, never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)


async def create_api_key(
    session: AsyncSession, name: str, scope: Scope, now: datetime
) -> tuple[ApiKey, str]:
    """A new key named `name` and the key itself (the only time it is known in clear);
    raises ObjectAlreadyExists when the name is taken, by a revoked key too."""
    key = generate_api_key()
    row = {
        "id": uuid4(),
        "created": now,
        "name": name,
        "scope": scope.value,
        "digest": digest_api_key(key),
        "shown": key[: len(KEY_PREFIX) + SHOWN_CHARACTERS],
        "revoked": None,
    }
    if not await insert_ignoring_duplicates(session, ApiKey, [row], key=["name"]):
        raise ObjectAlreadyExists(f"An API key named {name!r} already exists.")
    created = await session.get(ApiKey, row["id"])
    assert created is not None  # inserted just now, in this transaction
    return created, key


async def read_api_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key, revoked ones included, by name."""
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.name)))


async def find_api_key(session: AsyncSession, key: str) -> ApiKey | None:
    """The unrevoked key whose digest matches `key`, or None."""
    return await session.scalar(
        select(ApiKey).where(ApiKey.digest == digest_api_key(key), ApiKey.revoked.is_(None))
    )


async def api_keys_exist(session: AsyncSession) -> bool:
    """Whether any key was ever created (revoked ones count: see `auth_required`)."""
    return await session.scalar(select(ApiKey.id).limit(1)) is not None


async def revoke_api_key(session: AsyncSession, id_or_name: UUID | str, now: datetime) -> ApiKey:
    """Mark the key revoked (a second call changes nothing); raises ObjectNotFound."""
    chosen = ApiKey.id == id_or_name if isinstance(id_or_name, UUID) else ApiKey.name == id_or_name
    await session.execute(
        update(ApiKey)
        .where(chosen, ApiKey.revoked.is_(None))
        .values(revoked=now)
        .execution_options(synchronize_session=False)
    )
    revoked = await session.scalar(
        select(ApiKey).where(chosen).execution_options(populate_existing=True)
    )
    if revoked is None:
        raise ObjectNotFound(f"No API key named {id_or_name!s}.")
    return revoked
