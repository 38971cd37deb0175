"""What the deployment, work pool and concurrency pages read: the queries added for them, and
the pages' answers to paging, unknown objects and bad queries (no browser needed)."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from api.ui.paging import PAGE_SIZE
from models.concurrency.leases import read_limit_leases
from models.concurrency.limits import list_limits
from models.coordination.work_pools import Worker, count_pool_queues
from models.coordination.workers import count_online_workers
from models.db.database import Database
from models.db.types import utcnow
from tests.integration.test_concurrency_leases import acquire
from tests.integration.test_concurrency_limits_api import create_limit
from tests.integration.test_workers_api import heartbeat


async def create_pool(api: TestClient, name: str, queues: list[str]) -> UUID:
    response = await api.post("/api/work_pools/", json={"name": name, "type": "process"})
    assert response.status == 201, await response.text()
    for queue in queues:
        added = await api.post(f"/api/work_pools/{name}/queues", json={"name": queue})
        assert added.status == 201, await added.text()
    return UUID((await response.json())["id"])


async def create_deployment(api: TestClient, flow_id: str, name: str) -> str:
    response = await api.post("/api/deployments/", json={"name": name, "flow_id": flow_id})
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def test_leases_are_listed_per_limit_soonest_expiry_first_and_capped(
    api: TestClient, database: Database
) -> None:
    busy = await create_limit(api, "busy", 10)
    quiet = await create_limit(api, "quiet", 1)
    holder = {"type": "task_run", "id": str(uuid4())}
    leases = []
    for seconds in (300, 60, 120):
        status, lease = await acquire(api, "busy", lease_duration=seconds, holder=holder)
        assert status == 200
        leases.append(lease["lease_id"])
    async with database.read_sessions() as session:
        listed = await read_limit_leases(session, [UUID(busy["id"]), UUID(quiet["id"])], 2)
    # The 60 s and the 120 s leases; the 300 s one is past the cap; "quiet" has none.
    assert [str(lease.id) for lease in listed[UUID(busy["id"])]] == [leases[1], leases[2]]
    assert listed[UUID(busy["id"])][0].holder == holder
    assert UUID(quiet["id"]) not in listed


async def test_global_limits_are_listed_without_the_tag_limits(
    api: TestClient, database: Database
) -> None:
    await create_limit(api, "global-one", 1)
    tagged = await api.post("/api/concurrency_limits/", json={"tag": "etl", "concurrency_limit": 2})
    assert tagged.status == 201
    async with database.read_sessions() as session:
        without_tags = await list_limits(session, offset=0, limit=10, without_tags=True)
        tags_only = await list_limits(session, offset=0, limit=10, tags_only=True)
        every = await list_limits(session, offset=0, limit=10)
    assert [limit.name for limit in without_tags] == ["global-one"]
    assert [limit.name for limit in tags_only] == ["tag:etl"]
    assert [limit.name for limit in every] == ["global-one", "tag:etl"]


async def test_pools_count_their_queues_and_online_workers(
    api: TestClient, database: Database
) -> None:
    busy = await create_pool(api, "busy-pool", ["second", "third"])
    empty = await create_pool(api, "empty-pool", [])
    await heartbeat(api, "busy-pool", "alive", heartbeat_interval_seconds=30)
    await heartbeat(api, "busy-pool", "silent", heartbeat_interval_seconds=30)
    async with database.sessions.begin() as session:
        # Three intervals without a heartbeat: offline, whatever its status column says.
        await session.execute(
            update(Worker)
            .where(Worker.name == "silent")
            .values(last_heartbeat_time=utcnow() - timedelta(seconds=91))
        )
    async with database.read_sessions() as session:
        queues = await count_pool_queues(session, [busy, empty])
        online = await count_online_workers(session, [busy, empty], utcnow())
    assert queues == {busy: 3, empty: 1}  # with each pool's default queue
    assert online == {busy: 1, empty: 0}


async def test_the_deployments_list_pages_by_name_and_searches(api: TestClient) -> None:
    flow = await api.post("/api/flows/", json={"name": "paged-flow"})
    flow_id = (await flow.json())["id"]
    names = [f"deployment-{index:02}" for index in range(PAGE_SIZE + 1)]
    for name in reversed(names):
        await create_deployment(api, flow_id, name)
    listed = re.compile(r'<th scope="row"><a href="/deployments/deployment/[^"]+">([\w-]+)<')
    first = await (await api.get("/deployments")).text()
    assert listed.findall(first) == names[:PAGE_SIZE]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = await (await api.get("/deployments?page=2")).text()
    assert listed.findall(second) == names[PAGE_SIZE:]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # The search matches the flow's name too, whatever the case.
    assert len(listed.findall(await (await api.get("/deployments?q=PAGED-F")).text())) == PAGE_SIZE
    only = await (await api.get("/deployments?q=deployment-07")).text()
    assert listed.findall(only) == ["deployment-07"]


async def test_unknown_objects_and_bad_queries_answer_as_pages(api: TestClient) -> None:
    for path in (
        f"/deployments/deployment/{uuid4()}",
        "/deployments/deployment/not-a-uuid",
        "/work-pools/work-pool/no-such-pool",
    ):
        response = await api.get(path)
        assert response.status == 404, path
        assert "<h1>Not found</h1>" in await response.text()
    for query in ("page=two", "page=0", "page=-1"):
        response = await api.get(f"/deployments?{query}")
        assert response.status == 400, query
        assert "<h1>Bad request</h1>" in await response.text()


async def test_text_from_clients_is_escaped_on_the_deployment_pages(api: TestClient) -> None:
    flow = await api.post("/api/flows/", json={"name": "escaped-flow"})
    response = await api.post(
        "/api/deployments/",
        json={
            "name": "escaped",
            "flow_id": (await flow.json())["id"],
            "tags": ["<script>alert(1)</script>"],
            "description": "<img src=x onerror=alert(2)>",
            "parameters": {"note": "</textarea><script>alert(3)</script>"},
        },
    )
    deployment_id = (await response.json())["id"]
    for path in ("/deployments", f"/deployments/deployment/{deployment_id}"):
        text = await (await api.get(path)).text()
        assert "<script>alert" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    page = await (await api.get(f"/deployments/deployment/{deployment_id}")).text()
    assert "&lt;/textarea&gt;&lt;script&gt;alert(3)" in page
