"""The outbox: a flow-run state committed while Redis is away is answered 201, and its
announcement reaches the actors once Redis is back, exactly once; what is not durable without
Redis (a log batch) is a 503 with Retry-After, never a 500.

The server runs as real processes (`signalbox server start`) against a Redis this test starts,
stops and starts again on the same port with the same data: the suite's broker is bound to
the suite's Redis, which the test must not stop. The cheaper tests of the relay itself run
in-process against the suite's Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import aiohttp
import pytest
import redis
from aiohttp.test_utils import TestClient
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import make_url

from actors import owed_announcements
from actors.scheduler import mark_late_flow_runs
from api.app import create_app
from cli.embedded_redis import PRIVATE_UMASK, EmbeddedRedis, free_port
from migrations.commands import head_revision
from models.db.database import Database
from models.db.types import utcnow
from models.messages.announcements import announcement
from models.messages.dead_letters import DeadLetter
from models.messages.outbox import OutboxMessage
from models.settings import Settings
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    deliveries_of,
    start_flow_run,
)
from tests.integration.test_server_start import (
    START_SECONDS,
    environment_without_settings,
    start_server,
    stop_server,
)
from tests.running import Drain

T = TypeVar("T")


async def wait_for(check: Callable[[], Awaitable[T]], what: str, seconds: float = 30.0) -> T:
    """Poll `check` until it returns something truthy, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if value := await check():
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(0.2)  # polling with a deadline


# -- in-process: the relay on the suite's Redis ------------------------------------------------


async def outbox_rows(database: Database) -> int:
    async with database.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_a_relayed_announcement_leaves_the_outbox_empty(
    api: TestClient, database: Database, drain: Drain
) -> None:
    flow_run_id = await start_flow_run(api, states=("RUNNING", "COMPLETED"))
    await drain()

    async def emptied() -> bool:
        return await outbox_rows(database) == 0

    await wait_for(emptied, "the relayed rows to be deleted", seconds=10)
    response = await api.get(f"/api/flow_runs/{flow_run_id}")
    assert (await response.json())["state"]["type"] == "COMPLETED"


async def test_the_sweep_sends_what_a_process_left_in_the_outbox(
    settings: Settings,
    database: Database,
    drain: Drain,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    api = await aiohttp_client(
        create_app(
            settings.model_copy(update={"outbox_sweep_seconds": 0.1}),
            schema_head=head_revision(settings),
        )
    )
    flow_run_id = await start_flow_run(api)
    await drain()
    run = await (await api.get(f"/api/flow_runs/{flow_run_id}")).json()
    # What an API process that died between its commit and its send leaves behind: a row
    # older than the sweep's delay. Its announcement was already sent once (by the request
    # above), so the sweep's send is also a duplicate, which the actor shrugs off.
    again = announcement(UUID(flow_run_id), UUID(run["state"]["id"]), None, None)
    async with database.sessions.begin() as session:
        await session.execute(
            insert(OutboxMessage).values(
                id=uuid4(),
                actor_name="announce_flow_run_states",
                argument=[again],
                created=utcnow() - timedelta(minutes=1),
            )
        )

    async def emptied() -> bool:
        return await outbox_rows(database) == 0

    await wait_for(emptied, "the sweep to send and delete the row", seconds=15)
    await drain()
    async with database.read_sessions() as session:
        assert list(await session.scalars(select(DeadLetter))) == []


async def test_a_services_forced_state_waits_in_the_outbox_when_its_send_fails(
    settings: Settings,
    database: Database,
    drain: Drain,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A service commits a state (here: a run marked Late) and then cannot send its
    announcement: the announcement is in the outbox, committed with the state, and the API's
    sweep sends it. Before, it was sent after the commit with nothing kept, and a retried
    message found the run Late already: the announcement was lost."""
    api = await aiohttp_client(
        create_app(
            settings.model_copy(update={"outbox_sweep_seconds": 0.1}),
            schema_head=head_revision(settings),
        )
    )
    flow = await (await api.post("/api/flows/", json={"name": "late-flow"})).json()
    overdue = utcnow() - timedelta(minutes=5)
    run = await (
        await api.post(
            "/api/flow_runs/",
            json={
                "flow_id": flow["id"],
                "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": str(overdue)}},
            },
        )
    ).json()
    await drain()
    refusals = []

    async def redis_away(actor: Any, *args: Any) -> None:
        if not refusals:  # the first send only: a retry of the message may send again
            refusals.append(actor.actor_name)
            raise redis.ConnectionError("Error 111 connecting to Redis. Connection refused.")
        await owed_announcements_enqueue(actor, *args)

    owed_announcements_enqueue = owed_announcements.enqueue
    monkeypatch.setattr(owed_announcements, "enqueue", redis_away)
    mark_late_flow_runs.send()

    async def owed_for_the_run() -> bool:
        async with database.read_sessions() as session:
            rows = list(await session.scalars(select(OutboxMessage)))
        return any(item["flow_run_id"] == run["id"] for row in rows for item in row.argument)

    await wait_for(owed_for_the_run, "the Late state's announcement in the outbox", seconds=15)
    assert refusals == ["announce_flow_run_states"]
    late = await (await api.get(f"/api/flow_runs/{run['id']}")).json()
    assert late["state_name"] == "Late"

    async def sent() -> bool:
        return not await owed_for_the_run()

    await wait_for(sent, "the sweep to send the announcement", seconds=15)
    await drain()


# -- real processes: the whole server on a Redis the test stops and starts --------------------


@dataclass
class OwnRedis:
    """An embedded Redis of the test's own, stopped and started again on its port and AOF."""

    embedded: EmbeddedRedis

    @property
    def url(self) -> str:
        return self.embedded.url

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        self.embedded.stop()  # SIGTERM: Redis writes its AOF out and exits

    def start_again(self) -> None:
        # The same configuration file: the same port, password and AOF.
        self.embedded.process = subprocess.Popen(
            self.embedded.command,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )
        self.embedded.wait_until_ready()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    with EmbeddedRedis(tmp_path / "redis") as embedded:
        yield OwnRedis(embedded)


@dataclass
class RunningServer:
    """`signalbox server start` on the test's Redis, and where it is."""

    process: subprocess.Popen[str]
    base: str
    log: Path
    database_url: str


@pytest.fixture
def server_on_own_redis(
    tmp_path: Path, own_redis: OwnRedis, database_url: str, migrated_url: str
) -> Iterator[RunningServer]:
    """The whole server (API, pools, clock) with an external Redis, so its supervisor does
    not restart Redis behind the test's back; SQLite in its home, or the suite's PostgreSQL."""
    port = free_port()
    home = tmp_path / "home"
    env = environment_without_settings()
    env |= {
        "SIGNALBOX_HOME": str(home),
        "SIGNALBOX_API_PORT": str(port),
        "SIGNALBOX_REDIS_URL": own_redis.url,
        "SIGNALBOX_OUTBOX_SWEEP_SECONDS": "0.5",
        "SIGNALBOX_DELIVERY_TIMEOUT_SECONDS": "2",
        "SIGNALBOX_DELIVERY_BACKOFF_SECONDS": "0.2",
    }
    server_database_url = f"sqlite+aiosqlite:///{home / 'signalbox.db'}"
    if make_url(database_url).get_backend_name() == "postgresql":
        env["SIGNALBOX_DATABASE_URL"] = server_database_url = database_url
    log = tmp_path / "server.log"
    process = start_server(env, log)
    try:
        yield RunningServer(process, f"http://127.0.0.1:{port}", log, server_database_url)
    finally:
        stop_server(process)


@contextlib.asynccontextmanager
async def client_of(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client of the running server, once it is ready."""
    async with aiohttp.ClientSession(base_url=server.base) as client:

        async def ready() -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                async with client.get("/api/ready") as response:
                    return response.status == 200
            return False

        await wait_for(ready, "the server to be ready", seconds=START_SECONDS)
        yield client


@contextlib.asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    receiver = await Receiver().start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def outbox_count(database_url: str) -> int:
    """Rows waiting in the server's outbox, read with a connection of the test's own."""
    url = make_url(database_url)
    if url.drivername == "sqlite+aiosqlite":
        url = url.set(drivername="sqlite")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        engine.dispose()


async def fail_during_redis_outage(
    client: aiohttp.ClientSession, own_redis: OwnRedis, receiver: Receiver, runs: int
) -> list[tuple[str, aiohttp.ClientResponse]]:
    """A webhook notification policy for Failed runs, `runs` running flow runs, Redis
    stopped, and each run's set_state to FAILED: each run's id and answer."""
    api: Any = client  # the scenario's steps take any client with get and post
    block = await create_block(
        api, "custom-webhook", {"name": "hook", "url": f"{receiver.url}/custom"}
    )
    await create_policy(api, block)
    flow_run_ids = [await start_flow_run(api) for _ in range(runs)]
    own_redis.stop()
    answers = []
    for flow_run_id in flow_run_ids:
        response = await client.post(
            f"/api/flow_runs/{flow_run_id}/set_state",
            json={"state": {"type": "FAILED", "message": "ValueError: boom 7"}},
        )
        await response.read()
        answers.append((flow_run_id, response))
    return answers


async def test_a_state_set_while_redis_is_down_is_stored_and_announced_once_it_is_back(
    server_on_own_redis: RunningServer, own_redis: OwnRedis
) -> None:
    server = server_on_own_redis
    async with client_of(server) as client, webhook_receiver() as receiver:
        answers = await fail_during_redis_outage(client, own_redis, receiver, runs=2)
        # Today's defect was a 500 here with FAILED in the database and no notification ever.
        for flow_run_id, answer in answers:
            assert answer.status == 201, await answer.text()
            assert (await answer.json())["status"] == "ACCEPT"
            run = await (await client.get(f"/api/flow_runs/{flow_run_id}")).json()
            assert run["state"]["type"] == "FAILED"
        # A log batch is durable only on Redis: refused, and the client told to come back.
        logs = await client.post(
            "/api/logs/",
            json=[{"name": "n", "level": 20, "message": "m", "flow_run_id": answers[0][0],
                   "timestamp": "2026-12-07T12:00:00Z"}],
        )  # fmt: skip
        assert logs.status == 503
        assert logs.headers["Retry-After"] == "2"
        assert "detail" in await logs.json()
        # A background task run (`task.delay()`) is committed, and owed to its task workers'
        # queue in the outbox: before, it was a 500 (then a 503) and the run was never queued.
        background_run_id = str(uuid4())
        delayed = await client.post(
            "/api/task_runs/",
            json={"id": background_run_id, "task_key": "outage-task", "dynamic_key": "1",
                  "state": {"type": "SCHEDULED", "state_details": {"deferred": True}}},
        )  # fmt: skip
        assert delayed.status == 201, await delayed.text()
        assert outbox_count(server.database_url) == 3
        # The events socket cannot confirm an event: it asks the client to come back (1013),
        # and the Prefect client resends what no pong confirmed on its next socket.
        socket = await client.ws_connect("/api/events/in", protocols=("prefect",))
        await socket.send_json({"type": "auth", "token": None})
        assert await socket.receive_json(timeout=5) == {"type": "auth_success"}
        await socket.send_json(
            {"id": str(uuid4()), "occurred": "2026-12-07T12:00:00Z", "event": "acme.report",
             "resource": {"prefect.resource.id": "acme.report.1"}}
        )  # fmt: skip
        await socket.ping()
        closed = await socket.receive(timeout=30)
        assert closed.type is aiohttp.WSMsgType.CLOSE
        assert closed.data == aiohttp.WSCloseCode.TRY_AGAIN_LATER

        own_redis.start_again()

        async def delivered() -> list[dict[str, Any]] | None:
            found = [await deliveries_of(client, run_id) for run_id, _ in answers]  # type: ignore[arg-type]
            done = [d for deliveries in found for d in deliveries if d["status"] == "delivered"]
            return done if len(done) == len(answers) else None

        deliveries = await wait_for(delivered, "the notifications after Redis is back", 60)
        assert sorted(d["flow_run_id"] for d in deliveries) == sorted(r for r, _ in answers)

        async def emptied() -> bool:
            return outbox_count(server.database_url) == 0

        await wait_for(emptied, "the outbox to be empty")
        assert len(receiver.requests_to("/custom")) == len(answers)
        queued = await asyncio.to_thread(
            own_redis.client().lrange, "signalbox:background-tasks:scheduled:outage-task", 0, -1
        )
        assert [entry.decode().split()[0] for entry in queued] == [background_run_id]
    outage_lines = [
        line for line in server.log.read_text().splitlines() if "Redis is unavailable (" in line
    ]
    assert len(outage_lines) == 1, outage_lines  # one line per outage, not one per request
