"""`/metrics`: Prometheus text that prometheus-client's parser reads, and that moves when work
is done: requests per route pattern, actor messages, queue depths, slots held."""

from __future__ import annotations

from uuid import uuid4

import dramatiq
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from actors.broker import broker
from tests.running import Drain

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(api: TestClient) -> Samples:
    response = await api.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_and_timed_per_route_pattern_not_per_path(
    api: TestClient,
) -> None:
    before = await scrape(api)
    missing = [uuid4(), uuid4()]
    for flow_id in missing:
        assert (await api.get(f"/api/flows/{flow_id}")).status == 404
    after = await scrape(api)

    labels = {"method": "GET", "route": "/api/flows/{id}", "status": "404"}
    counted = value(after, "signalbox_http_requests_total", **labels)
    assert counted - value(before, "signalbox_http_requests_total", **labels) == 2
    timed = {"method": "GET", "route": "/api/flows/{id}"}
    assert value(after, "signalbox_http_request_duration_seconds_count", **timed) >= 2
    assert not any(str(flow_id) in str(key) for key in after for flow_id in missing)


async def test_actor_messages_are_counted_when_a_state_change_is_processed(
    api: TestClient, drain: Drain
) -> None:
    labels = {"queue": "state", "actor": "announce_flow_run_states", "outcome": "succeeded"}
    before = value(await scrape(api), "signalbox_actor_messages_total", **labels)
    flow = await (await api.post("/api/flows/", json={"name": "metered"})).json()
    run = await (
        await api.post(
            "/api/flow_runs/", json={"flow_id": flow["id"], "state": {"type": "PENDING"}}
        )
    ).json()
    response = await api.post(
        f"/api/flow_runs/{run['id']}/set_state", json={"state": {"type": "RUNNING"}}
    )
    assert response.status == 201
    await drain()

    after = await scrape(api)
    assert value(after, "signalbox_actor_messages_total", **labels) > before
    timed = {"queue": "state", "actor": "announce_flow_run_states"}
    assert value(after, "signalbox_actor_duration_seconds_count", **timed) >= 1


async def test_queue_depths_are_read_from_redis_when_scraped(api: TestClient) -> None:
    # notify.slack has no consumer in these tests: what is put there stays.
    for delay in (None, None, 3_600_000):
        message = dramatiq.Message(
            queue_name="notify.slack",
            actor_name="deliver_slack",
            args=(str(uuid4()),),
            kwargs={},
            options={},
        )
        broker.enqueue(message, delay=delay)

    samples = await scrape(api)

    assert value(samples, "signalbox_queue_messages", queue="notify.slack", state="ready") == 2
    assert value(samples, "signalbox_queue_messages", queue="notify.slack", state="delayed") == 1
    assert (
        "signalbox_queue_messages",
        frozenset({"queue": "state", "state": "in_flight"}.items()),
    ) in samples
    assert value(samples, "signalbox_reading_up", reading="queues") == 1


async def test_slots_held_follow_the_concurrency_limits(api: TestClient) -> None:
    created = await api.post("/api/v2/concurrency_limits/", json={"name": "db", "limit": 3})
    assert created.status == 201
    assert value(await scrape(api), "signalbox_concurrency_slots_held", limit="db") == 0
    taken = await api.post(
        "/api/v2/concurrency_limits/increment", json={"names": ["db"], "slots": 2}
    )
    assert taken.status == 200

    assert value(await scrape(api), "signalbox_concurrency_slots_held", limit="db") == 2
