"""Deployments: the upsert, reads by id and name, changes, listing, runs made from them,
pausing, and the runner's poll, as Prefect's client and server exchange them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from api import keys
from models.concurrency.tables import ConcurrencyLimit
from models.coordination.deployments import Deployment, DeploymentSchedule
from models.coordination.scheduled_runs import mark_deployments_polled
from models.coordination.work_pools import WorkPool, WorkQueue
from models.runs.flow_runs import FlowRun
from tests.integration.work_pool_runs import create_pool, create_queue

SCHEMA = {
    "title": "Parameters",
    "type": "object",
    "properties": {
        "x": {"default": 1, "position": 0, "title": "x", "type": "integer"},
        "name": {"position": 1, "title": "name", "type": "string"},
    },
    "required": ["name"],
}


async def create_flow(api: TestClient, name: str = "my-flow") -> str:
    response = await api.post("/api/flows/", json={"name": name})
    assert response.status in (200, 201), await response.text()
    return str((await response.json())["id"])


async def create_deployment(
    api: TestClient, flow_id: str, name: str = "my-dep", expect: int = 201, **fields: Any
) -> dict[str, Any]:
    response = await api.post(
        "/api/deployments/", json={"name": name, "flow_id": flow_id, **fields}
    )
    assert response.status == expect, await response.text()
    return await response.json()


async def count_rows(api: TestClient, model: Any) -> int:
    async with api.app[keys.database].read_sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_served_deployment_is_created_read_and_polled(api: TestClient) -> None:
    flow_id = await create_flow(api, "scenario-g")
    missing = await api.get("/api/deployments/name/scenario-g/g-dep")
    assert (missing.status, await missing.json()) == (404, {"detail": "Deployment not found"})
    created = await create_deployment(
        api,
        flow_id,
        "g-dep",
        paused=False,
        schedules=[
            {
                "schedule": {
                    "interval": 3600.0,
                    "anchor_date": "2026-11-25T18:03:59.720811Z",
                    "timezone": "UTC",
                },
                "active": True, "max_scheduled_runs": None, "parameters": {},
                "slug": None, "replaces": None,
            }
        ],
        concurrency_limit=None, concurrency_options=None, enforce_parameter_schema=True,
        parameter_openapi_schema=SCHEMA, parameters={"x": 5}, tags=["served"], labels={},
        work_queue_name=None, storage_document_id=None, infrastructure_document_id=None,
        description="None", path=".", entrypoint="g_serve.py:served", job_variables={},
        version="dc2c", version_info={"type": "prefect:simple", "version": "dc2c"},
    )  # fmt: skip
    assert created["labels"] == {"prefect.flow.id": flow_id}
    assert created["status"] == "NOT_READY" and created["last_polled"] is None
    assert (created["work_queue_id"], created["work_pool_name"]) == (None, None)
    assert created["pull_steps"] == []  # not sent: the reference's default
    [schedule] = created["schedules"]
    assert schedule["schedule"] == {
        "interval": 3600.0,
        "anchor_date": "2026-11-25T18:03:59.720811Z",
        "timezone": "UTC",
    }
    assert schedule["deployment_id"] == created["id"]
    assert (created["concurrency_limit"], created["global_concurrency_limit"]) == (None, None)

    by_name = await (await api.get("/api/deployments/name/scenario-g/g-dep")).json()
    by_id = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert by_name == by_id == created

    owned = await api.delete(f"/api/automations/owned-by/prefect.deployment.{created['id']}")
    assert owned.status == 202

    polled = await api.post(
        "/api/deployments/get_scheduled_flow_runs",
        json={"deployment_ids": [created["id"]], "scheduled_before": "2026-11-25 18:04:10+00:00"},
    )
    assert (polled.status, await polled.json()) == (200, [])
    after = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert after["status"] == "READY" and after["last_polled"] is not None

    paused = await api.patch(f"/api/deployments/{created['id']}", json={"paused": True})
    assert paused.status == 204
    assert (await (await api.get(f"/api/deployments/{created['id']}")).json())["paused"] is True


async def add_pool(api: TestClient, name: str, queues: tuple[str, ...] = ("default",)) -> UUID:
    """A work pool with its queues (the first is its default), written directly."""
    now = datetime.now(UTC)
    pool_id = uuid4()
    async with api.app[keys.database].sessions.begin() as session:
        session.add(WorkPool(id=pool_id, created=now, updated=now, name=name, type="process"))
        await session.flush()
        ids = []
        for priority, queue in enumerate(queues, start=1):
            ids.append(uuid4())
            session.add(
                WorkQueue(
                    id=ids[-1], created=now, updated=now, work_pool_id=pool_id,
                    name=queue, priority=priority,
                )
            )  # fmt: skip
        await session.flush()
        pool = await session.get(WorkPool, pool_id)
        assert pool is not None
        pool.default_queue_id = ids[0]
    return pool_id


async def add_run(
    api: TestClient,
    flow_id: str,
    deployment_id: str,
    start: datetime,
    *,
    auto: bool = True,
    state: str = "SCHEDULED",
    name: str = "Scheduled",
) -> UUID:
    """A flow run of the deployment as the scheduler would write it."""
    now = datetime.now(UTC)
    run_id = uuid4()
    async with api.app[keys.database].sessions.begin() as session:
        session.add(
            FlowRun(
                id=run_id, created=now, updated=now, name=f"run-{run_id.hex[:6]}",
                flow_id=UUID(flow_id), deployment_id=UUID(deployment_id), state_type=state,
                state_name=name, expected_start_time=start, next_scheduled_start_time=start,
                auto_scheduled=auto, run_count=0, total_run_time_seconds=0.0, parameters={},
                context={}, tags=[], labels={}, empirical_policy={}, job_variables={},
            )
        )  # fmt: skip
    return run_id


async def remaining_runs(api: TestClient, run_ids: list[UUID]) -> set[UUID]:
    async with api.app[keys.database].read_sessions() as session:
        rows = await session.scalars(select(FlowRun.id).where(FlowRun.id.in_(run_ids)))
        return set(rows)


async def test_posting_again_updates_the_deployment_and_replaces_its_schedules(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    first = await create_deployment(
        api, flow_id, tags=["a"], parameters={"x": 1}, description="one",
        schedules=[{"schedule": {"interval": 60}}, {"schedule": {"cron": "0 * * * *"}}],
    )  # fmt: skip
    soon = datetime.now(UTC) + timedelta(hours=1)
    past = datetime.now(UTC) - timedelta(hours=1)
    future_auto = await add_run(api, flow_id, first["id"], soon)
    past_auto = await add_run(api, flow_id, first["id"], past)
    future_manual = await add_run(api, flow_id, first["id"], soon, auto=False)
    running = await add_run(api, flow_id, first["id"], soon, state="RUNNING", name="Running")

    again = await create_deployment(
        api, flow_id, expect=200, tags=["b"], description="two",
        schedules=[{"schedule": {"rrule": "FREQ=DAILY"}}],
    )  # fmt: skip
    assert again["id"] == first["id"]
    assert (again["tags"], again["description"]) == (["b"], "two")
    assert again["parameters"] == {"x": 1}  # what is not sent stays, as the reference
    assert [s["schedule"] for s in again["schedules"]] == [
        {"rrule": "DTSTART:20200101T000000\nFREQ=DAILY", "timezone": "UTC"}
    ]
    assert await count_rows(api, DeploymentSchedule) == 1
    # The scheduler's future runs go; what was asked for or has started stays.
    left = await remaining_runs(api, [future_auto, past_auto, future_manual, running])
    assert left == {past_auto, future_manual, running}
    assert await count_rows(api, Deployment) == 1


async def test_reads_answer_404_with_the_references_details(api: TestClient) -> None:
    unknown = uuid4()
    for response, detail in (
        (await api.get(f"/api/deployments/{unknown}"), "Deployment not found"),
        (await api.get("/api/deployments/name/nope/nope"), "Deployment not found"),
        (await api.patch(f"/api/deployments/{unknown}", json={}), "Deployment not found."),
        (await api.delete(f"/api/deployments/{unknown}"), "Deployment not found"),
        (await api.post(f"/api/deployments/{unknown}/create_flow_run", json={}),
         "Deployment not found"),
        (await api.post(f"/api/deployments/{unknown}/pause_deployment"), "Deployment not found"),
        (await api.post(f"/api/deployments/{unknown}/resume_deployment"),
         "Deployment not found"),
        (await api.get(f"/api/deployments/{unknown}/schedules"), "Deployment not found."),
    ):  # fmt: skip
        assert response.status == 404
        assert await response.json() == {"detail": detail}
    assert (await api.get("/api/deployments/not-a-uuid")).status == 404


async def test_patch_changes_only_what_is_sent_and_delete_removes_it(api: TestClient) -> None:
    flow_id = await create_flow(api)
    created = await create_deployment(
        api, flow_id, tags=["a"], description="d", version="1", parameters={"x": 2},
        parameter_openapi_schema=SCHEMA, entrypoint="f.py:f", path="/p", pull_steps=[{"s": 1}],
        job_variables={"env": {"A": "1"}},
    )  # fmt: skip
    patched = await api.patch(
        f"/api/deployments/{created['id']}",
        json={"description": "changed", "job_variables": {"env": {"B": "2"}}},
    )
    assert patched.status == 204
    read = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert (read["description"], read["job_variables"]) == ("changed", {"env": {"B": "2"}})
    assert (read["tags"], read["version"], read["parameters"]) == (["a"], "1", {"x": 2})
    assert (read["entrypoint"], read["path"], read["pull_steps"]) == ("f.py:f", "/p", [{"s": 1}])
    assert read["updated"] > created["updated"]

    # Parameters that fail the schema (required fields ignored, as the reference): 409.
    refused = await api.patch(f"/api/deployments/{created['id']}", json={"parameters": {"x": "no"}})
    assert refused.status == 409
    assert "Validation failed for field 'x'" in (await refused.json())["detail"]
    kept = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert kept["parameters"] == {"x": 2}

    soon = datetime.now(UTC) + timedelta(minutes=5)
    auto = await add_run(api, flow_id, created["id"], soon)
    manual = await add_run(api, flow_id, created["id"], soon, auto=False)
    running = await add_run(api, flow_id, created["id"], soon, state="RUNNING", name="Running")
    assert (await api.delete(f"/api/deployments/{created['id']}")).status == 204
    assert (await api.get(f"/api/deployments/{created['id']}")).status == 404
    assert await count_rows(api, Deployment) == 0
    # Its runs not started go with it, asked for or not; a running one stays.
    assert await remaining_runs(api, [auto, manual, running]) == {running}


async def test_filter_count_sort_and_paginate(api: TestClient) -> None:
    flow_a = await create_flow(api, "alpha")
    flow_b = await create_flow(api, "beta")
    await create_deployment(api, flow_a, "one", tags=["x"])
    await create_deployment(api, flow_a, "two", tags=["x", "y"], paused=True)
    await create_deployment(api, flow_b, "three", tags=["y"])

    async def names(body: dict[str, Any]) -> list[str]:
        response = await api.post("/api/deployments/filter", json=body)
        assert response.status == 200, await response.text()
        return [d["name"] for d in await response.json()]

    assert await names({}) == ["one", "three", "two"]
    assert await names({"sort": "NAME_DESC"}) == ["two", "three", "one"]
    assert await names({"sort": "CREATED_DESC"}) == ["three", "two", "one"]
    assert await names({"deployments": {"tags": {"all_": ["x", "y"]}}}) == ["two"]
    assert await names({"deployments": {"paused": {"eq_": True}}}) == ["two"]
    assert await names({"flows": {"name": {"any_": ["beta"]}}}) == ["three"]
    assert await names({"deployments": {"name": {"like_": "t"}}, "limit": 1, "offset": 1}) == [
        "two"
    ]
    assert await names({"deployments": {"flow_or_deployment_name": {"like_": "bet"}}}) == ["three"]
    count = await api.post(
        "/api/deployments/count", json={"deployments": {"tags": {"any_": ["y"]}}}
    )
    assert await count.json() == 2
    page = await (await api.post("/api/deployments/paginate", json={"page": 2, "limit": 2})).json()
    assert (page["count"], page["pages"], page["page"], page["limit"]) == (3, 2, 2, 2)
    assert [d["name"] for d in page["results"]] == ["two"]
    bad = await api.post("/api/deployments/filter", json={"sort": "NOPE"})
    assert bad.status == 422 and "detail" in await bad.json()


async def test_a_run_from_a_deployment_merges_what_the_deployment_and_the_client_say(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(
        api, flow_id, version="v7", tags=["dep"], parameters={"x": 2, "name": "d"},
        parameter_openapi_schema=SCHEMA, job_variables={"env": {"A": "1"}, "image": "i"},
        labels={"team": "a"},
    )  # fmt: skip
    response = await api.post(
        f"/api/deployments/{deployment['id']}/create_flow_run",
        json={
            "parameters": {"name": "given"}, "tags": ["mine", "dep"],
            "job_variables": {"image": "j"}, "labels": {"extra": "1"},
            "idempotency_key": "once", "name": None, "state": None,
        },
    )  # fmt: skip
    assert response.status == 201, await response.text()
    run = await response.json()
    assert run["parameters"] == {"x": 2, "name": "given"}
    assert run["tags"] == ["dep", "mine"]
    assert run["job_variables"] == {"env": {"A": "1"}, "image": "j"}
    assert (run["deployment_id"], run["deployment_version"]) == (deployment["id"], "v7")
    assert run["labels"] == {
        "team": "a", "prefect.flow.id": flow_id, "prefect.deployment.id": deployment["id"],
        "extra": "1",
    }  # fmt: skip
    assert run["state"]["type"] == "SCHEDULED" and run["next_scheduled_start_time"] is not None
    assert run["name"] and run["idempotency_key"] == "once"

    again = await api.post(
        f"/api/deployments/{deployment['id']}/create_flow_run", json={"idempotency_key": "once"}
    )
    assert again.status == 200 and (await again.json())["id"] == run["id"]

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    scheduled = await api.post(
        f"/api/deployments/{deployment['id']}/create_flow_run",
        json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": later}}},
    )
    assert (await scheduled.json())["expected_start_time"][:16] == later[:16]


async def test_parameters_failing_the_schema_are_refused_and_nothing_is_written(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(
        api, flow_id, parameters={"x": 2}, parameter_openapi_schema=SCHEMA
    )
    url = f"/api/deployments/{deployment['id']}/create_flow_run"
    for parameters, reason in (
        ({"name": "n", "x": "two"}, "Validation failed for field 'x'. Failure reason: 'two'"),
        ({}, "Validation failed. Failure reason: 'name' is a required property"),
    ):
        refused = await api.post(url, json={"parameters": parameters})
        assert refused.status == 409
        detail = (await refused.json())["detail"]
        assert detail.startswith(f"Error creating flow run: {reason}"), detail
    assert await count_rows(api, FlowRun) == 0
    # A run may say not to enforce it.
    lax = await api.post(url, json={"parameters": {"x": "two"}, "enforce_parameter_schema": False})
    assert lax.status == 201
    # Enforced without a schema: a 409 naming that.
    bare = await create_deployment(api, flow_id, "bare", parameter_openapi_schema=None)
    no_schema = await api.post(f"/api/deployments/{bare['id']}/create_flow_run", json={})
    assert no_schema.status == 409
    assert "does not have a valid parameter schema" in (await no_schema.json())["detail"]


async def test_work_pools_and_queues_are_resolved_by_name(api: TestClient) -> None:
    flow_id = await create_flow(api)
    pool_id = await add_pool(api, "my-pool", ("default", "fast"))

    unknown = await api.post(
        "/api/deployments/", json={"name": "d", "flow_id": flow_id, "work_pool_name": "nope"}
    )
    assert (unknown.status, await unknown.json()) == (
        404,
        {"detail": 'Work pool "nope" not found.'},
    )
    assert await count_rows(api, Deployment) == 0

    in_default = await create_deployment(api, flow_id, "a", work_pool_name="my-pool")
    assert (in_default["work_pool_name"], in_default["work_queue_name"]) == ("my-pool", "default")
    in_fast = await create_deployment(
        api, flow_id, "b", work_pool_name="my-pool", work_queue_name="fast"
    )
    assert in_fast["work_queue_name"] == "fast" and in_fast["work_queue_id"]
    made = await create_deployment(
        api, flow_id, "c", work_pool_name="my-pool", work_queue_name="new-queue"
    )
    assert made["work_queue_name"] == "new-queue"
    agent = await create_deployment(api, flow_id, "e", work_queue_name="loose")
    assert (agent["work_pool_name"], agent["work_queue_name"]) == ("default-agent-pool", "loose")
    bare = await create_deployment(api, flow_id, "f")
    assert (bare["work_pool_name"], bare["work_queue_id"]) == (None, None)

    run = await (
        await api.post(f"/api/deployments/{in_fast['id']}/create_flow_run", json={})
    ).json()
    assert (run.get("work_pool_name"), run.get("work_pool_id")) == ("my-pool", str(pool_id)), run
    assert (run["work_queue_name"], run["work_queue_id"]) == ("fast", in_fast["work_queue_id"])
    other_queue = await (
        await api.post(
            f"/api/deployments/{in_fast['id']}/create_flow_run", json={"work_queue_name": "default"}
        )
    ).json()
    assert (other_queue["work_queue_name"], other_queue["work_queue_id"]) == (
        "default",
        in_default["work_queue_id"],
    )
    no_pool = await api.post(
        f"/api/deployments/{bare['id']}/create_flow_run", json={"work_queue_name": "x"}
    )
    assert no_pool.status == 400
    assert "is not associated with a work pool" in (await no_pool.json())["detail"]

    filtered = await api.post(
        "/api/deployments/filter", json={"work_pools": {"name": {"any_": ["my-pool"]}}}
    )
    assert sorted(d["name"] for d in await filtered.json()) == ["a", "b", "c"]


async def queue_priorities(api: TestClient, pool: str) -> list[tuple[str, int]]:
    queues = await (await api.post(f"/api/work_pools/{pool}/queues/filter", json={})).json()
    return [(queue["name"], queue["priority"]) for queue in queues]


async def test_a_queue_a_deployment_or_run_names_gets_a_distinct_priority(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    await create_pool(api, "ranked")
    await create_queue(api, "ranked", "second")
    await create_queue(api, "ranked", "third")
    await api.delete("/api/work_pools/ranked/queues/second")
    # In a named pool, a new queue takes the first free priority, as one made by its route.
    named = await create_deployment(
        api, flow_id, "named", work_pool_name="ranked", work_queue_name="made"
    )
    assert await queue_priorities(api, "ranked") == [("default", 1), ("made", 2), ("third", 3)]
    run = await api.post(
        f"/api/deployments/{named['id']}/create_flow_run", json={"work_queue_name": "by-run"}
    )
    assert run.status == 201, await run.text()
    assert ("by-run", 4) in await queue_priorities(api, "ranked")
    # Without a pool, the agents' pool is made and the new queue comes first, the others
    # moving down, as the reference makes it.
    await create_deployment(api, flow_id, "loose", work_queue_name="loose")
    await create_deployment(api, flow_id, "looser", work_queue_name="looser")
    assert await queue_priorities(api, "default-agent-pool") == [
        ("looser", 1),
        ("loose", 2),
        ("default", 3),
    ]


async def test_a_concurrency_limit_is_kept_as_a_global_limit_named_for_the_deployment(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    created = await create_deployment(
        api, flow_id, concurrency_limit=2,
        concurrency_options={"collision_strategy": "CANCEL_NEW"},
    )  # fmt: skip
    assert created["concurrency_limit"] is None  # always None, as Prefect's server answers
    assert created["concurrency_options"] == {
        "collision_strategy": "CANCEL_NEW",
        "grace_period_seconds": None,
    }
    limit = created["global_concurrency_limit"]
    assert (limit["name"], limit["limit"], limit["active_slots"]) == (
        f"deployment:{created['id']}", 2, 0,
    )  # fmt: skip
    by_name = await api.get(f"/api/v2/concurrency_limits/deployment:{created['id']}")
    assert (await by_name.json())["id"] == limit["id"]

    await api.patch(f"/api/deployments/{created['id']}", json={"concurrency_limit": 5})
    changed = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert (
        changed["global_concurrency_limit"]["limit"],
        changed["global_concurrency_limit"]["id"],
    ) == (
        5,
        limit["id"],
    )
    await api.patch(f"/api/deployments/{created['id']}", json={"concurrency_limit": None})
    removed = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert (removed["concurrency_limit"], removed["global_concurrency_limit"]) == (None, None)
    assert await count_rows(api, ConcurrencyLimit) == 0

    for bad in (-1, 0):
        refused = await api.post(
            "/api/deployments/",
            json={"name": "bad", "flow_id": flow_id, "concurrency_limit": bad},
        )
        assert refused.status == 422
        assert "concurrency_limit" in str((await refused.json())["detail"])
        patch = await api.patch(
            f"/api/deployments/{created['id']}", json={"concurrency_limit": bad}
        )
        assert patch.status == 422
    bad_strategy = await api.post(
        "/api/deployments/",
        json={
            "name": "bad",
            "flow_id": flow_id,
            "concurrency_options": {"collision_strategy": "X"},
        },
    )
    assert bad_strategy.status == 422
    assert await count_rows(api, Deployment) == 1
    assert await count_rows(api, ConcurrencyLimit) == 0

    await create_deployment(api, flow_id, "again", concurrency_limit=1)
    doomed = await (await api.post("/api/deployments/filter", json={})).json()
    for deployment in doomed:
        assert (await api.delete(f"/api/deployments/{deployment['id']}")).status == 204
    assert await count_rows(api, ConcurrencyLimit) == 0


async def test_pausing_removes_the_auto_scheduled_runs_and_resuming_keeps_runs(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(api, flow_id, schedules=[{"schedule": {"interval": 60}}])
    soon = datetime.now(UTC) + timedelta(minutes=5)
    auto = [
        await add_run(api, flow_id, deployment["id"], soon + timedelta(minutes=i)) for i in range(3)
    ]
    late = await add_run(api, flow_id, deployment["id"], soon - timedelta(hours=1))
    manual = await add_run(api, flow_id, deployment["id"], soon, auto=False)
    waiting = await add_run(api, flow_id, deployment["id"], soon, name="AwaitingConcurrencySlot")

    paused = await api.post(f"/api/deployments/{deployment['id']}/pause_deployment")
    assert (paused.status, await paused.json()) == (200, None)
    assert (await (await api.get(f"/api/deployments/{deployment['id']}")).json())["paused"]
    assert await remaining_runs(api, [*auto, late, manual, waiting]) == {manual, waiting}

    kept = await add_run(api, flow_id, deployment["id"], soon)
    resumed = await api.post(f"/api/deployments/{deployment['id']}/resume_deployment")
    assert resumed.status == 200
    assert not (await (await api.get(f"/api/deployments/{deployment['id']}")).json())["paused"]
    assert await remaining_runs(api, [kept]) == {kept}

    # Pausing by PATCH, as `prefect deployment pause` does, removes them too.
    await api.patch(f"/api/deployments/{deployment['id']}", json={"paused": True})
    assert await remaining_runs(api, [kept]) == set()


async def test_the_runners_poll_answers_due_runs_soonest_first_and_marks_ready(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    one = await create_deployment(api, flow_id, "one")
    two = await create_deployment(api, flow_id, "two")
    other = await create_deployment(api, flow_id, "other")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    r3 = await add_run(api, flow_id, one["id"], base + timedelta(minutes=3), auto=False)
    r1 = await add_run(api, flow_id, two["id"], base + timedelta(minutes=1))
    r2 = await add_run(api, flow_id, one["id"], base + timedelta(minutes=2))
    await add_run(api, flow_id, one["id"], base + timedelta(hours=5))  # not due
    await add_run(api, flow_id, other["id"], base)  # another deployment's
    await add_run(api, flow_id, one["id"], base, state="RUNNING", name="Running")

    async def poll(**body: Any) -> list[str]:
        response = await api.post("/api/deployments/get_scheduled_flow_runs", json=body)
        assert response.status == 200, await response.text()
        return [run["id"] for run in await response.json()]

    ids = [one["id"], two["id"]]
    before = (base + timedelta(minutes=10)).isoformat()
    assert await poll(deployment_ids=ids, scheduled_before=before) == [str(r1), str(r2), str(r3)]
    assert await poll(deployment_ids=ids, scheduled_before=before, limit=2) == [str(r1), str(r2)]
    assert len(await poll(deployment_ids=ids)) == 4
    for deployment in (one, two):
        read = await (await api.get(f"/api/deployments/{deployment['id']}")).json()
        assert read["status"] == "READY"
        # A poll is no change of the deployment: the scheduler's "recently updated" skips it.
        assert read["updated"] == deployment["updated"]
        polled = datetime.fromisoformat(read["last_polled"])
        assert datetime.now(UTC) - polled < timedelta(seconds=30)
    untouched = await (await api.get(f"/api/deployments/{other['id']}")).json()
    assert (untouched["status"], untouched["last_polled"]) == ("NOT_READY", None)
    bad = await api.post("/api/deployments/get_scheduled_flow_runs", json={"deployment_ids": "x"})
    assert bad.status == 422


async def test_bad_bodies_are_refused_with_a_detail_and_nothing_written(api: TestClient) -> None:
    flow_id = await create_flow(api)
    for body in (
        {"flow_id": flow_id},
        {"name": "d"},
        {"name": "d", "flow_id": "nope"},
        {"name": "d", "flow_id": flow_id, "schedules": [{"schedule": {"cron": "bad"}}]},
        {"name": "d", "flow_id": flow_id, "tags": "x"},
    ):
        response = await api.post("/api/deployments/", json=body)
        assert response.status == 422, body
        assert "detail" in await response.json()
    unknown_flow = await api.post("/api/deployments/", json={"name": "d", "flow_id": str(uuid4())})
    assert (unknown_flow.status, await unknown_flow.json()) == (404, {"detail": "Flow not found"})
    assert await count_rows(api, Deployment) == 0
    assert await count_rows(api, DeploymentSchedule) == 0


async def test_changes_are_recorded_as_prefect_deployment_events(api: TestClient) -> None:
    flow_id = await create_flow(api)
    await add_pool(api, "events-pool")
    created = await create_deployment(api, flow_id, work_pool_name="events-pool", tags=["a"])
    await create_deployment(api, flow_id, expect=200, tags=["a"])  # nothing changed: no event
    await api.patch(f"/api/deployments/{created['id']}", json={"tags": ["b"], "version": "2"})
    await api.post(
        "/api/deployments/get_scheduled_flow_runs", json={"deployment_ids": [created["id"]]}
    )
    await api.post(
        "/api/deployments/get_scheduled_flow_runs", json={"deployment_ids": [created["id"]]}
    )
    await api.delete(f"/api/deployments/{created['id']}")

    response = await api.post(
        "/api/events/filter",
        json={"filter": {"event": {"prefix": ["prefect.deployment."]}, "order": "ASC"}},
    )
    events = (await response.json())["events"]
    assert [e["event"] for e in events] == [
        "prefect.deployment.created",
        "prefect.deployment.updated",
        "prefect.deployment.ready",
        "prefect.deployment.deleted",
    ]
    assert {e["resource"]["prefect.resource.id"] for e in events} == {
        f"prefect.deployment.{created['id']}"
    }
    assert {r["prefect.resource.role"] for r in events[0]["related"]} == {
        "flow", "work-queue", "work-pool",
    }  # fmt: skip
    assert events[1]["payload"] == {
        "updated_fields": ["tags", "version"],
        "updates": {"tags": {"from": ["a"], "to": ["b"]}, "version": {"from": None, "to": "2"}},
    }


async def test_bulk_delete_removes_the_matching_deployments(api: TestClient) -> None:
    flow_id = await create_flow(api)
    for name, tags in (("a", ["old"]), ("b", ["old"]), ("c", ["old"]), ("keep", ["new"])):
        await create_deployment(api, flow_id, name, tags=tags)
    response = await api.post(
        "/api/deployments/bulk_delete",
        json={"deployments": {"tags": {"all_": ["old"]}}, "limit": 2},
    )
    assert response.status == 200, await response.text()
    assert len((await response.json())["deleted"]) == 2
    left = await (await api.post("/api/deployments/filter", json={})).json()
    assert [d["name"] for d in left] == ["c", "keep"]
    for body in ({"limit": 0}, {"limit": 201}, {"deployments": {"nope": 1}}):
        refused = await api.post("/api/deployments/bulk_delete", json=body)
        assert refused.status == 422 and "detail" in await refused.json()
    assert await count_rows(api, Deployment) == 2


async def test_every_deployment_route_is_in_the_api_description(api: TestClient) -> None:
    paths = (await (await api.get("/api/openapi.json")).json())["paths"]
    for path, method in (
        ("/api/deployments/", "post"),
        ("/api/deployments/{id}", "get"),
        ("/api/deployments/{id}", "patch"),
        ("/api/deployments/{id}", "delete"),
        ("/api/deployments/name/{flow_name}/{deployment_name}", "get"),
        ("/api/deployments/filter", "post"),
        ("/api/deployments/count", "post"),
        ("/api/deployments/paginate", "post"),
        ("/api/deployments/bulk_delete", "post"),
        ("/api/deployments/get_scheduled_flow_runs", "post"),
        ("/api/deployments/{id}/create_flow_run", "post"),
        ("/api/deployments/{id}/create_flow_run/bulk", "post"),
        ("/api/deployments/{id}/pause_deployment", "post"),
        ("/api/deployments/{id}/resume_deployment", "post"),
        ("/api/deployments/{id}/schedules", "get"),
        ("/api/deployments/{id}/schedules", "post"),
        ("/api/deployments/{id}/schedules/{schedule_id}", "patch"),
        ("/api/deployments/{id}/schedules/{schedule_id}", "delete"),
        ("/api/automations/owned-by/{resource_id}", "delete"),
        ("/api/automations/related-to/{resource_id}", "get"),
    ):
        assert method in paths.get(path, {}), f"{method} {path} is not described"
    create = paths["/api/deployments/"]["post"]["requestBody"]
    assert create["content"]["application/json"]["schema"]["$ref"].endswith("DeploymentCreate")


async def test_the_cli_reads_no_automations_and_the_runner_deletes_none(api: TestClient) -> None:
    resource = f"prefect.deployment.{uuid4()}"
    related = await api.get(f"/api/automations/related-to/{resource}")
    assert (related.status, await related.json()) == (200, [])
    owned = await api.delete(f"/api/automations/owned-by/{resource}")
    assert owned.status == 202


async def test_clients_deploying_one_name_at_once_make_one_deployment(api: TestClient) -> None:
    flow_id = await create_flow(api)
    body = {"name": "raced", "flow_id": flow_id, "schedules": [{"schedule": {"interval": 60}}]}
    responses = await asyncio.gather(*(api.post("/api/deployments/", json=body) for _ in range(8)))
    assert sorted(r.status for r in responses) == [200] * 7 + [201]
    assert len({(await r.json())["id"] for r in responses}) == 1
    assert await count_rows(api, Deployment) == 1
    assert await count_rows(api, DeploymentSchedule) == 1


async def test_job_variables_failing_the_pools_schema_are_refused(api: TestClient) -> None:
    flow_id = await create_flow(api)
    pool_id = await add_pool(api, "typed-pool")
    template = {
        "job_configuration": {"image": "{{ image }}"},
        "variables": {
            "type": "object",
            "properties": {"image": {"type": "string"}, "cpu": {"type": "integer"}},
            "required": ["image"],
        },
    }
    async with api.app[keys.database].sessions.begin() as session:
        pool = await session.get(WorkPool, pool_id)
        assert pool is not None
        pool.base_job_template = template
    body = {"name": "d", "flow_id": flow_id, "work_pool_name": "typed-pool"}
    refused = await api.post("/api/deployments/", json={**body, "job_variables": {"cpu": "x"}})
    assert refused.status == 422
    assert (await refused.json())["detail"] == (
        "Error creating deployment: Validation failed for field 'cpu'. Failure reason: 'x' is "
        "not of type 'integer'"
    )
    assert await count_rows(api, Deployment) == 0
    # Required variables are not asked of a deployment: a run may still give them.
    created = await create_deployment(api, flow_id, "d", work_pool_name="typed-pool",
                                      job_variables={"cpu": 2})  # fmt: skip
    patched = await api.patch(
        f"/api/deployments/{created['id']}",
        json={"work_pool_name": "typed-pool", "job_variables": {"image": 3}},
    )
    assert patched.status == 422
    assert (await patched.json())["detail"].startswith("Error updating deployment: Validation")
    read = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert read["job_variables"] == {"cpu": 2}


async def test_runs_are_created_in_bulk_each_with_its_own_result(api: TestClient) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(
        api, flow_id, parameters={"x": 1}, parameter_openapi_schema=SCHEMA, tags=["dep"]
    )
    url = f"/api/deployments/{deployment['id']}/create_flow_run/bulk"
    response = await api.post(
        url,
        json=[
            {"parameters": {"name": "a"}},
            {"parameters": {"name": "b", "x": "bad"}},
            {"parameters": {"name": "c"}, "tags": ["mine"]},
        ],
    )
    assert response.status == 200, await response.text()
    results = (await response.json())["results"]
    assert [r["status"] for r in results] == ["CREATED", "FAILED", "CREATED"]
    assert "Validation failed for field 'x'" in results[1]["error"]
    third = await (await api.get(f"/api/flow_runs/{results[2]['flow_run_id']}")).json()
    assert (third["tags"], third["parameters"]) == (["dep", "mine"], {"x": 1, "name": "c"})
    assert await count_rows(api, FlowRun) == 2

    too_many = await api.post(url, json=[{}] * 101)
    assert (too_many.status, await too_many.json()) == (
        400,
        {"detail": "Cannot create more than 100 flow runs at once."},
    )
    unknown = await api.post(f"/api/deployments/{uuid4()}/create_flow_run/bulk", json=[{}])
    assert unknown.status == 404
    assert await count_rows(api, FlowRun) == 2


async def test_a_workers_poll_of_a_queue_marks_its_deployments_ready(api: TestClient) -> None:
    flow_id = await create_flow(api)
    await add_pool(api, "polled-pool", ("default", "other"))
    in_default = await create_deployment(api, flow_id, "a", work_pool_name="polled-pool")
    elsewhere = await create_deployment(
        api, flow_id, "b", work_pool_name="polled-pool", work_queue_name="other"
    )
    async with api.app[keys.database].sessions.begin() as session:
        events = await mark_deployments_polled(
            session, [], datetime.now(UTC), work_queue_ids=[UUID(in_default["work_queue_id"])]
        )
    assert [e["event"] for e in events] == ["prefect.deployment.ready"]
    ready = await (await api.get(f"/api/deployments/{in_default['id']}")).json()
    other = await (await api.get(f"/api/deployments/{elsewhere['id']}")).json()
    assert (ready["status"], other["status"]) == ("READY", "NOT_READY")
