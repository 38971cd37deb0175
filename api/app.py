"""The aiohttp application: every route, wired to the database, Redis and the actors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import redis.asyncio
from aiohttp import web

from actors.broker import broker
from actors.high_water import HighWaterMark
from api import errors, keys
from api.access_log import request_ids
from api.auth import Gatekeeper, require_credentials
from api.cross_site import install_cross_site_policy, refuse_cross_site
from api.events_hub import EventsHub
from api.metrics import count_requests
from api.metrics import routes as metrics_routes
from api.openapi import routes as openapi_routes
from api.outbox import Outbox
from api.routes import (
    admin,
    artifacts,
    automations,
    block_documents,
    block_schemas,
    block_types,
    concurrency_limits,
    dead_letters,
    deliveries,
    deployments,
    events,
    flow_run_inputs,
    flow_runs,
    flows,
    logs,
    notification_policies,
    run_states,
    saved_searches,
    tag_concurrency_limits,
    task_run_subscriptions,
    task_runs,
    task_workers,
    variables,
    work_pools,
    work_queues,
    worker_channel,
    workers,
)
from api.ui.site import install_ui
from api.unstorable_values import refuse_unstorable_values
from models.blocks.registration import register_block_catalog
from models.db.database import open_database
from models.runs.background_tasks import BackgroundTaskQueues
from models.settings import Settings

#: The largest request body accepted (a log batch of the client is at most 4 MB).
MAX_BODY_BYTES = 32 * 2**20


def create_app(settings: Settings, *, schema_head: str | None = None) -> web.Application:
    """The whole API, wired; nothing is opened until the application starts.

    `schema_head` is the schema revision this code needs: /api/ready is not ready while the
    database is at another one.
    """
    app = web.Application(
        middlewares=[
            request_ids,
            count_requests,
            errors.json_errors,
            refuse_cross_site,
            require_credentials,
            refuse_unstorable_values,
        ],
        client_max_size=MAX_BODY_BYTES,
    )
    app[keys.settings] = settings
    if schema_head is not None:
        app[keys.schema_head] = schema_head
    install_cross_site_policy(app, settings)
    app.cleanup_ctx.append(open_resources)
    app.on_startup.append(register_block_types)  # runs after open_resources has opened
    for resource in (
        admin,
        flows,
        flow_runs,
        flow_run_inputs,
        deployments,
        automations,
        task_runs,
        run_states,
        task_run_subscriptions,
        task_workers,
        logs,
        events,
        concurrency_limits,
        tag_concurrency_limits,
        variables,
        artifacts,
        block_types,
        block_schemas,
        block_documents,
        notification_policies,
        deliveries,
        dead_letters,
        saved_searches,
        work_pools,
        work_queues,
        worker_channel,
        workers,
    ):
        app.add_routes(resource.routes)
    app.add_routes(openapi_routes)
    app.add_routes(metrics_routes)
    install_ui(app)
    return app


async def open_resources(app: web.Application) -> AsyncIterator[None]:
    """The database, Redis, the events hub and the outbox; closed in reverse order."""
    settings = app[keys.settings]
    database = open_database(settings)
    client = redis.asyncio.Redis.from_url(settings.redis_url or "redis://127.0.0.1:6379/0")
    hub = EventsHub(client)
    high_water = HighWaterMark(
        client, broker.namespace, settings.queue_high_water_mb, broker.get_declared_queues()
    )
    background_tasks = BackgroundTaskQueues(client, settings.background_task_pickup_seconds)
    outbox = Outbox(database, settings.outbox_sweep_seconds, background_tasks, high_water)
    app[keys.database] = database
    app[keys.gatekeeper] = Gatekeeper(settings.api_auth_string, database)
    app[keys.redis_client] = client
    app[keys.background_tasks] = background_tasks
    app[keys.events_hub] = hub
    app[keys.high_water] = high_water
    app[keys.outbox] = outbox
    await hub.start()
    outbox.start()
    try:
        yield
    finally:
        await outbox.close()
        await hub.stop()
        await client.aclose()
        await database.dispose()


async def register_block_types(app: web.Application) -> None:
    """Register the block catalog (Prefect's block types and schemas) before the first request.

    A Prefect client asks for its block type's slug before it saves a block, so they must be
    there from the start. Idempotent: every API process does this as it starts.
    """
    async with app[keys.database].sessions.begin() as session:
        await register_block_catalog(session)
