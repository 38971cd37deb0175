"""The worker channel, `/api/work_pools/{name}/workers/connect`: a Prefect worker's
heartbeats over a websocket, and its work pool's snapshot pushed back when it changed.

The worker authenticates (`auth`, as on the events sockets; a write credential when
authentication is on), says
hello (`worker.hello.v1`), is answered `worker.ready.v1` with the pool as it is, then sends
`worker.heartbeat.v1` every interval. Runs are still fetched over REST. A worker that cannot
open the channel (an older server answers 404) falls back to REST heartbeats.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Final

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from api import keys
from api.routes.events import authenticate
from models.coordination.work_pools import read_pool_with_slots
from models.coordination.worker_channel import OpenedChannel, open_worker_channel
from models.coordination.workers import record_worker_heartbeat
from models.db.types import utcnow
from models.errors import Forbidden, ObjectNotFound
from models.schemas.work_pools import WorkPoolResponse, check_base_job_template
from models.schemas.worker_channel import (
    CHANNEL_VERSION,
    CloseReason,
    HeartbeatFrame,
    HelloFrame,
    frame,
    ready_frame,
    snapshot,
)

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

#: Seconds a worker has to send its auth and hello frames.
HANDSHAKE_SECONDS: Final = 10.0


class ChannelClosed(Exception):
    """The channel ends, for the reason given."""

    def __init__(self, reason: CloseReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


async def next_frame(socket: web.WebSocketResponse, timeout: float | None) -> Any | None:
    """The next text frame as JSON; None when the worker went away."""
    async with asyncio.timeout(timeout):
        while True:
            message = await socket.receive()
            if message.type is WSMsgType.TEXT:
                try:
                    return json.loads(message.data)
                except ValueError:
                    raise ChannelClosed(CloseReason.PROTOCOL_ERROR) from None
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return None
            if message.type is WSMsgType.ERROR:
                return None
            if message.type is WSMsgType.BINARY:
                raise ChannelClosed(CloseReason.PROTOCOL_ERROR)


async def read_hello(socket: web.WebSocketResponse) -> HelloFrame | None:
    """Auth then hello; None when the worker left before saying it."""
    try:
        if not await authenticate(socket):  # answered auth_failure and closed
            return None
        hello = await next_frame(socket, HANDSHAKE_SECONDS)
    except TimeoutError:
        raise ChannelClosed(CloseReason.PROTOCOL_ERROR) from None
    if hello is None:
        return None
    try:
        parsed = HelloFrame.model_validate(hello)
    except ValidationError:
        raise ChannelClosed(CloseReason.PROTOCOL_ERROR) from None
    if CHANNEL_VERSION not in parsed.payload.supported_channel_versions:
        raise ChannelClosed(CloseReason.UNSUPPORTED_VERSION)
    try:
        check_base_job_template(parsed.payload.default_base_job_template)
    except ValueError:
        raise ChannelClosed(CloseReason.PROTOCOL_ERROR) from None
    return parsed


async def open_channel(request: web.Request, hello: HelloFrame) -> OpenedChannel:
    payload = hello.payload
    try:
        async with request.app[keys.database].sessions.begin() as session:
            return await open_worker_channel(
                session,
                request.match_info["name"],
                payload.worker_name,
                payload.worker_type,
                payload.heartbeat_interval_seconds,
                payload.work_queue_names,
                payload.create_pool_if_not_found,
                payload.default_base_job_template,
                utcnow(),
            )
    except (ObjectNotFound, Forbidden):
        raise ChannelClosed(CloseReason.AUTHORIZATION_FAILED) from None


async def keep_heartbeats(
    request: web.Request, socket: web.WebSocketResponse, hello: HelloFrame, opened: OpenedChannel
) -> None:
    """Record each heartbeat; when the pool changed since the last snapshot, send a new one."""
    pool_name = request.match_info["name"]
    database = request.app[keys.database]
    sequence, last_updated = 1, opened.pool.updated
    while (message := await next_frame(socket, None)) is not None:
        try:
            heartbeat = HeartbeatFrame.model_validate(message)
        except ValidationError:
            raise ChannelClosed(CloseReason.PROTOCOL_ERROR) from None
        if (heartbeat.payload.consumer_id, heartbeat.payload.worker_name) != (
            hello.payload.consumer_id,
            hello.payload.worker_name,
        ):
            raise ChannelClosed(CloseReason.PROTOCOL_ERROR)
        try:
            async with database.sessions.begin() as session:
                await record_worker_heartbeat(
                    session,
                    pool_name,
                    heartbeat.payload.worker_name,
                    heartbeat.payload.heartbeat_interval_seconds,
                    utcnow(),
                )
                pool, active_slots = await read_pool_with_slots(session, pool_name)
        except ObjectNotFound:  # the pool was deleted under the worker
            raise ChannelClosed(CloseReason.HEARTBEAT_PERSISTENCE_FAILED) from None
        if pool.updated != last_updated:
            sequence, last_updated = sequence + 1, pool.updated
            current = WorkPoolResponse.from_row(pool, active_slots)
            update = snapshot(current, sequence, "heartbeat_reconciliation")
            await socket.send_json(frame("work_pool.snapshot.v1", update, utcnow()))


@routes.get("/api/work_pools/{name}/workers/connect")
async def worker_channel(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse(protocols=("prefect",))
    await socket.prepare(request)
    try:
        hello = await read_hello(socket)
        if hello is not None:
            opened = await open_channel(request, hello)
            current = WorkPoolResponse.from_row(opened.pool, opened.active_slots)
            await socket.send_json(ready_frame(hello.payload, current, opened.queues, utcnow()))
            await keep_heartbeats(request, socket, hello, opened)
    except ChannelClosed as closed:
        logger.info(
            "Worker channel of pool %s closed: %s.", request.match_info["name"], closed.reason
        )
        await socket.close(code=closed.reason.websocket_code, message=closed.reason.value.encode())
    except ConnectionResetError:
        pass
    await socket.close()
    return socket
