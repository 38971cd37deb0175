"""What a worker process shares between its actors: the database and a Redis client.

This is the one module allowed to hold process-wide state, and only between `open()` and
`close()`, which the WorkerResources middleware calls on the worker's event loop.
"""

from __future__ import annotations

import redis.asyncio

from models.db.database import Database, open_database
from models.settings import Settings

_database: Database | None = None
_redis: redis.asyncio.Redis | None = None
_settings: Settings | None = None


async def open(settings: Settings) -> None:
    global _database, _redis, _settings
    _settings = settings
    _database = open_database(settings)
    _redis = redis.asyncio.Redis.from_url(settings.redis_url or "redis://127.0.0.1:6379/0")


async def close() -> None:
    global _database, _redis
    if _database is not None:
        await _database.dispose()
    if _redis is not None:
        await _redis.aclose()
    _database = _redis = None


def database() -> Database:
    """The worker's database; only between open() and close()."""
    if _database is None:
        raise RuntimeError("Worker resources are not open: is the WorkerResources middleware on?")
    return _database


def redis_client() -> redis.asyncio.Redis:
    if _redis is None:
        raise RuntimeError("Worker resources are not open: is the WorkerResources middleware on?")
    return _redis


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("Worker resources are not open: is the WorkerResources middleware on?")
    return _settings
