"""Work pools: created with their default queue, read, changed, paused, listed, deleted."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from models.coordination.worker_catalog import worker_catalog

PROCESS_TEMPLATE: dict[str, Any] = worker_catalog()["prefect"]["process"][
    "default_base_job_configuration"
]


async def create_pool(api: TestClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/work_pools/", json={"name": name, **fields})
    assert response.status == 201, await response.text()
    return await response.json()


async def test_a_work_pool_is_created_with_its_default_queue(api: TestClient) -> None:
    pool = await create_pool(api, "p1", type="process", base_job_template=PROCESS_TEMPLATE)
    assert (pool["name"], pool["type"], pool["status"], pool["is_paused"]) == (
        "p1",
        "process",
        "NOT_READY",
        False,
    )
    assert pool["base_job_template"] == PROCESS_TEMPLATE
    assert pool["active_slots"] is None and pool["concurrency_limit"] is None
    assert pool["storage_configuration"] == {
        "bundle_upload_step": None,
        "bundle_execution_step": None,
        "default_result_storage_block_id": None,
    }
    assert await (await api.get("/api/work_pools/p1")).json() == pool
    queues = await (await api.post("/api/work_pools/p1/queues/filter", json={})).json()
    assert [(q["name"], q["priority"], q["id"]) for q in queues] == [
        ("default", 1, pool["default_queue_id"])
    ]
    assert queues[0]["description"] == "The work pool's default queue."
    assert queues[0]["work_pool_name"] == "p1" and queues[0]["status"] == "NOT_READY"


async def test_an_unknown_pool_is_a_404_with_the_reference_detail(api: TestClient) -> None:
    for response in (
        await api.get("/api/work_pools/p1"),
        await api.patch("/api/work_pools/p1", json={"is_paused": True}),
        await api.delete("/api/work_pools/p1"),
        await api.post("/api/work_pools/p1/queues/filter", json={}),
        await api.post("/api/work_pools/p1/workers/filter", json={}),
        await api.post("/api/work_pools/p1/workers/heartbeat", json={"name": "w"}),
        await api.post("/api/work_pools/p1/get_scheduled_flow_runs", json={}),
    ):
        assert response.status == 404
        assert await response.json() == {"detail": 'Work pool "p1" not found.'}


async def test_a_taken_or_reserved_name_is_refused(api: TestClient) -> None:
    await create_pool(api, "p1")
    again = await api.post("/api/work_pools/", json={"name": "p1", "type": "process"})
    assert again.status == 409
    assert await again.json() == {"detail": "A work pool with this name already exists."}
    reserved = await api.post("/api/work_pools/", json={"name": "Prefect-thing"})
    assert reserved.status == 403
    assert "reserved for internal use" in (await reserved.json())["detail"]
    count = await api.post("/api/work_pools/count", json={})
    assert await count.json() == 1


async def test_pausing_and_resuming_sets_the_status(api: TestClient) -> None:
    await create_pool(api, "p1", type="process")
    assert (await api.patch("/api/work_pools/p1", json={"is_paused": True})).status == 204
    paused = await (await api.get("/api/work_pools/p1")).json()
    assert (paused["is_paused"], paused["status"]) == (True, "PAUSED")
    # A heartbeat does not unpause it.
    await api.post("/api/work_pools/p1/workers/heartbeat", json={"name": "w1"})
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "PAUSED"
    # Resumed with an online worker: READY.
    assert (await api.patch("/api/work_pools/p1", json={"is_paused": False})).status == 204
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "READY"

    created_paused = await create_pool(api, "p2", type="process", is_paused=True)
    assert created_paused["status"] == "PAUSED"


async def test_only_the_fields_sent_change(api: TestClient) -> None:
    await create_pool(api, "p1", type="process", description="first", concurrency_limit=3)
    patched = await api.patch("/api/work_pools/p1", json={"concurrency_limit": 5})
    assert patched.status == 204
    pool = await (await api.get("/api/work_pools/p1")).json()
    assert (pool["description"], pool["concurrency_limit"], pool["active_slots"]) == (
        "first",
        5,
        0,
    )
    await api.patch("/api/work_pools/p1", json={"concurrency_limit": None})
    pool = await (await api.get("/api/work_pools/p1")).json()
    assert (pool["concurrency_limit"], pool["active_slots"]) == (None, None)


async def test_bad_input_is_refused_and_nothing_is_written(api: TestClient) -> None:
    await create_pool(api, "p1", type="process")
    for body, complaint in (
        ({"name": "neg", "concurrency_limit": -1}, "greater than or equal to 0"),
        ({"name": "tmpl", "base_job_template": {"job_configuration": {}}}, "`variables` key"),
        (
            {
                "name": "undeclared",
                "base_job_template": {
                    "job_configuration": {"command": "{{ command }}", "env": "{{ env }}"},
                    "variables": {"properties": {"command": {"type": "string"}}},
                },
            },
            "undeclared variable(s): env",
        ),
        ({"name": "a/b"}, "String should match pattern"),
        ({"name": "  "}, "name cannot be an empty string"),
        ({"name": "extra", "unknown_field": 1}, "Extra inputs are not permitted"),
        ({"type": "process"}, "Field required"),
    ):
        response = await api.post("/api/work_pools/", json=body)
        assert response.status == 422, body
        detail = (await response.json())["detail"]
        assert complaint in detail[0]["msg"], (body, detail)
    negative = await api.patch("/api/work_pools/p1", json={"concurrency_limit": -2})
    assert negative.status == 422
    assert (await (await api.get("/api/work_pools/p1")).json())["concurrency_limit"] is None
    assert await (await api.post("/api/work_pools/count", json={})).json() == 1


async def test_work_pools_are_filtered_by_name_and_type_and_deleted(api: TestClient) -> None:
    await create_pool(api, "b-pool", type="process")
    await create_pool(api, "a-pool", type="docker")
    await create_pool(api, "c-pool", type="process")

    async def names(body: dict[str, Any]) -> list[str]:
        response = await api.post("/api/work_pools/filter", json=body)
        assert response.status == 200, await response.text()
        return [pool["name"] for pool in await response.json()]

    assert await names({}) == ["a-pool", "b-pool", "c-pool"]
    assert await names({"work_pools": {"type": {"any_": ["process"]}}}) == ["b-pool", "c-pool"]
    assert await names({"work_pools": {"name": {"any_": ["c-pool"]}}, "limit": 5}) == ["c-pool"]
    assert await names({"offset": 1, "limit": 1}) == ["b-pool"]
    assert (await api.delete("/api/work_pools/b-pool")).status == 204
    assert await names({}) == ["a-pool", "c-pool"]
    assert (await api.get("/api/work_pools/b-pool")).status == 404
    assert (await api.post("/api/work_pools/filter", json={"limit": 201})).status == 422


async def test_the_worker_type_catalog_serves_the_process_type(api: TestClient) -> None:
    response = await api.get("/api/collections/views/aggregate-worker-metadata")
    assert response.status == 200
    catalog = await response.json()
    process = catalog["prefect"]["process"]
    assert process["type"] == "process"
    template = process["default_base_job_configuration"]
    assert set(template["job_configuration"]) >= {"command", "env", "working_dir"}
    assert "docker" in catalog["prefect-docker"]
