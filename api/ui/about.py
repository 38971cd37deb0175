"""`/about` (and `/settings`, Prefect's path for it): what this server is and how it is doing:
version, database, Redis, the worker processes' queues and their depths, the settings."""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

import aiohttp_jinja2
import redis
from aiohttp import web

from actors.broker import HEARTBEAT_TIMEOUT_MS, broker
from actors.worker_registry import worker_processes_key
from api import keys
from api.metrics import known_queues
from api.readiness import REQUIRED_QUEUES, find_problems
from api.routes.admin import PREFECT_API_VERSION
from models.live_readings import read_live_queues, read_queue_depths

routes = web.RouteTableDef()


@routes.get("/about", name="about")
@routes.get("/settings")
@aiohttp_jinja2.template("about.html")
async def about_page(request: web.Request) -> dict[str, Any]:
    settings = request.app[keys.settings]
    client = request.app[keys.redis_client]
    redis_version, depths, consumed = None, [], set()
    try:
        info = await client.info("server")
        redis_version = info.get("redis_version")
        depths = await read_queue_depths(client, broker.namespace, known_queues())
        oldest_ms = int(time.time() * 1000) - HEARTBEAT_TIMEOUT_MS
        consumed = await read_live_queues(client, worker_processes_key(broker), oldest_ms)
    except redis.RedisError as error:
        redis_version = f"unreachable ({type(error).__name__})"
    return {
        "version": version("signalbox"),
        "prefect_version": PREFECT_API_VERSION,
        "database": request.app[keys.database].dialect,
        "redis_version": redis_version,
        "problems": await find_problems(request.app),
        "queues": depths,
        "consumed": consumed,
        "required": REQUIRED_QUEUES,
        "settings": settings.masked(),
    }
