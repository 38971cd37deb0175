"""`/api/task_runs/subscriptions/scheduled`: background task runs sent to task workers.

A task worker (`prefect.task_worker.serve`) opens this websocket, authenticates as on the
events sockets, then names its task keys and its id in a `subscribe` frame. Each scheduled
run of those keys is sent as a TaskRun, one at a time: the next is sent once the worker
answers `ack`. The queues, and why a run reaches a worker at least once, are described in
`models.runs.background_tasks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from api import keys
from api.routes.events import authenticate, first_text_frame
from models.runs.background_tasks import (
    BackgroundTaskQueues,
    Dispatch,
    read_dispatched_task_run,
    requeue_expired_dispatches,
)
from models.runs.task_workers import forget_task_worker, observe_task_worker
from models.schemas.task_runs import TaskRunResponse
from models.schemas.task_workers import TaskRunSubscription

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

#: Seconds an idle subscription waits for a wake-up before it looks at its queues again
#: (and at expired dispatches, and tells the registry its worker is still there).
IDLE_SECONDS = 1.0
#: The close code Prefect's server uses when a task worker breaks the protocol.
PROTOCOL_VIOLATION = 4001


class ClientFrames:
    """What the task worker sends, read as it arrives: the type of each frame, then None."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self.types: asyncio.Queue[str | None] = asyncio.Queue()
        self.reader = asyncio.create_task(self.read(socket))

    async def read(self, socket: web.WebSocketResponse) -> None:
        try:
            async for message in socket:
                if message.type is WSMsgType.TEXT:
                    try:
                        frame = json.loads(message.data)
                    except ValueError:
                        frame = None
                    kind = frame.get("type") if isinstance(frame, dict) else None
                    self.types.put_nowait(str(kind))
        finally:
            self.types.put_nowait(None)

    @property
    def closed(self) -> bool:
        return self.reader.done()

    async def stop(self) -> None:
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


@routes.get("/api/task_runs/subscriptions/scheduled")
async def scheduled_task_runs(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse(protocols=("prefect",), heartbeat=None, autoping=True)
    await socket.prepare(request)
    if not await authenticate(socket):
        return socket
    try:
        subscription = TaskRunSubscription.model_validate(await first_text_frame(socket))
    except (TimeoutError, ValueError) as error:  # ValidationError is a ValueError
        reason = "Expected a subscribe frame with keys and a client_id"
        if isinstance(error, ValidationError):
            reason = f"{reason}: {error.errors()[0]['loc']}"
        await socket.close(code=PROTOCOL_VIOLATION, message=reason[:120].encode())
        return socket

    app = request.app
    client, queues = app[keys.redis_client], app[keys.background_tasks]
    task_keys, client_id = subscription.keys, subscription.client_id
    logger.info("Task worker %r subscribed to %d task keys", client_id, len(task_keys))
    frames = ClientFrames(socket)
    wakeups = await queues.wakeups(task_keys)
    try:
        while not frames.closed:
            await observe_task_worker(client, client_id, task_keys)
            await requeue_expired_dispatches(queues, app[keys.database])
            dispatch = await queues.take(task_keys)
            if dispatch is None:
                await wakeups.get_message(timeout=IDLE_SECONDS)
                continue
            async with app[keys.database].read_sessions() as session:
                found = await read_dispatched_task_run(session, dispatch)
            if found is None:  # the run moved on while it waited: nothing to send
                await queues.settle(dispatch)
                continue
            task_run = TaskRunResponse.from_row(*found).model_dump_json()
            if not await hand_over(socket, frames, queues, dispatch, task_run):
                break
    finally:
        await frames.stop()
        await wakeups.aclose()
        await forget_task_worker(client, client_id)
        await socket.close()
    return socket


async def hand_over(
    socket: web.WebSocketResponse,
    frames: ClientFrames,
    queues: BackgroundTaskQueues,
    dispatch: Dispatch,
    task_run: str,
) -> bool:
    """Send one run and wait for its `ack`; False (the run put back) if none came."""
    try:
        await socket.send_str(task_run)
        while True:
            try:
                # A worker at its limit reads the next run only when a slot frees: wait for
                # as long as the socket lives, renewing the dispatch meanwhile.
                async with asyncio.timeout(queues.pickup_seconds / 3):
                    answer = await frames.types.get()
                break
            except TimeoutError:
                await queues.renew(dispatch)
    except ConnectionError:  # the worker is gone: its run goes to another
        await queues.put_back(dispatch)
        return False
    except BaseException:  # the server stopping: the run goes back all the same
        await asyncio.shield(queues.put_back(dispatch))
        raise
    if answer == "ack":
        await queues.renew(dispatch)  # from now on, `pickup_seconds` to leave SCHEDULED
        return True
    await queues.put_back(dispatch)
    if answer is not None and answer != "quit":
        await socket.close(code=PROTOCOL_VIOLATION, message=b"Expected an ack frame")
    return False
