"""`/metrics`: Prometheus exposition of every process's counts and of what is queued now.

Counted as they happen (prometheus-client, per process; added up across processes from
PROMETHEUS_MULTIPROC_DIR when the server set one): requests per route pattern with their
latency here, actor messages and delivery outcomes in the worker processes
(actors/metrics.py). Read when scraped: each queue's ready, delayed, in-flight and dead
messages (Redis), Redis's memory against the queue high-water mark, the slots each
concurrency limit holds (the database), and the items this API process has gathered and not
yet put on Redis (its outbox). A reading that fails is left out and `signalbox_reading_up`
says which. The times producers were held back at the mark are counted where it happens
(actors/high_water.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from actors.broker import broker
from actors.high_water import RedisMemory, high_water_bytes
from api import keys
from api.openapi import documented
from models.live_readings import QueueDepth, read_queue_depths, read_slots_held
from models.notifications.channels import CHANNEL_QUEUES

routes = web.RouteTableDef()

#: The label of requests that matched no route (their paths are not labels: unbounded).
UNMATCHED: Final = "unmatched"
HTTP_REQUESTS: Final = Counter(
    "signalbox_http_requests_total",
    "HTTP requests answered, by method, route pattern and status.",
    ["method", "route", "status"],
)
HTTP_DURATION: Final = Histogram(
    "signalbox_http_request_duration_seconds",
    "Seconds to answer an HTTP request, by method and route pattern.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def route_pattern(request: web.Request) -> str:
    """The pattern of the route that answered (`/api/flow_runs/{id}`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every answered request and time it, labelled with its route's pattern."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as answer:
        status = answer.status
        raise
    finally:
        route = route_pattern(request)
        HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        HTTP_DURATION.labels(request.method, route).observe(time.perf_counter() - started)


@dataclass
class Readings:
    """What was read at scrape time, and which readings failed."""

    queues: list[QueueDepth] = field(default_factory=list)
    slots_held: dict[str, int] = field(default_factory=dict)
    outbox_unsent: dict[str, int] = field(default_factory=dict)
    redis_memory: RedisMemory | None = None
    high_water_bytes: int | None = None  # None: no mark (SIGNALBOX_QUEUE_HIGH_WATER_MB=0)
    up: dict[str, bool] = field(default_factory=dict)


class ReadingsCollector:
    """The scrape-time readings as Prometheus gauges."""

    def __init__(self, readings: Readings) -> None:
        self.readings = readings

    def collect(self) -> Iterator[Metric]:
        queued = GaugeMetricFamily(
            "signalbox_queue_messages",
            "Messages of each queue now, by state (ready, delayed, in_flight, dead).",
            labels=["queue", "state"],
        )
        for depth in self.readings.queues:
            for state in ("ready", "delayed", "in_flight", "dead"):
                queued.add_metric([depth.queue, state], getattr(depth, state))
        yield queued
        slots = GaugeMetricFamily(
            "signalbox_concurrency_slots_held",
            "Slots each concurrency limit holds now.",
            labels=["limit"],
        )
        for name, held in sorted(self.readings.slots_held.items()):
            slots.add_metric([name], held)
        yield slots
        unsent = GaugeMetricFamily(
            "signalbox_outbox_unsent_items",
            "Items the scraped API process has gathered and not yet put on Redis, by stream.",
            labels=["stream"],
        )
        for stream, count in sorted(self.readings.outbox_unsent.items()):
            unsent.add_metric([stream], count)
        yield unsent
        yield from self.collect_redis_memory()
        up = GaugeMetricFamily(
            "signalbox_reading_up",
            "1 when the scrape-time reading succeeded, 0 when it failed.",
            labels=["reading"],
        )
        for reading, succeeded in sorted(self.readings.up.items()):
            up.add_metric([reading], 1 if succeeded else 0)
        yield up

    def collect_redis_memory(self) -> Iterator[Metric]:
        memory, mark = self.readings.redis_memory, self.readings.high_water_bytes
        if memory is None:
            return
        yield GaugeMetricFamily(
            "signalbox_redis_used_memory_bytes",
            "Bytes Redis uses now (INFO memory used_memory): mostly the messages waiting.",
            value=memory.used_bytes,
        )
        if mark is None:
            return
        yield GaugeMetricFamily(
            "signalbox_queue_high_water_bytes",
            "Redis memory above which events and log batches wait for workers to take "
            "messages (SIGNALBOX_QUEUE_HIGH_WATER_MB, lowered below a smaller maxmemory).",
            value=mark,
        )
        yield GaugeMetricFamily(
            "signalbox_queue_high_water_reached",
            "1 while Redis uses at least the high-water mark (producers wait), else 0.",
            value=1 if memory.used_bytes >= mark else 0,
        )


class ThisProcess:
    """This process's own counts, for a server without PROMETHEUS_MULTIPROC_DIR."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def known_queues() -> set[str]:
    """The queues declared in this process, and every channel's (the API declares only those
    it sends to)."""
    declared = {q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ"))}
    return declared | CHANNEL_QUEUES


async def take_readings(app: web.Application) -> Readings:
    readings = Readings()
    try:
        readings.queues = await read_queue_depths(
            app[keys.redis_client], broker.namespace, known_queues()
        )
        readings.up["queues"] = True
    except Exception:  # a scrape reports what it could read rather than failing
        readings.up["queues"] = False
    try:
        async with app[keys.database].read_sessions() as session:
            readings.slots_held = await read_slots_held(session)
        readings.up["concurrency_slots"] = True
    except Exception:  # as above
        readings.up["concurrency_slots"] = False
    try:
        high_water = app[keys.high_water]
        readings.redis_memory = memory = await high_water.read()
        readings.high_water_bytes = high_water_bytes(high_water.configured_mb, memory)
        readings.up["redis_memory"] = True
    except Exception:  # as above
        readings.up["redis_memory"] = False
    outbox = app[keys.outbox]
    readings.outbox_unsent = {
        "task_run_events": outbox.task_run_events.unsent,
        "events": outbox.events.unsent,
        "logs": outbox.logs.unsent,
        "flow_run_states": outbox.flow_run_states.unsent,
    }
    return readings


def exposition(readings: Readings) -> bytes:
    """Every process's counts (or this one's) and the readings, in the text format."""
    registry = CollectorRegistry()
    # prometheus-client's own variable: set, every process writes its counts there.
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        MultiProcessCollector(registry, path=shared)
    else:
        registry.register(ThisProcess())
    registry.register(ReadingsCollector(readings))
    return generate_latest(registry)


@routes.get("/metrics")
@documented("Prometheus metrics: requests, actors, deliveries, queues, slots.", tag="Operations")
async def read_metrics(request: web.Request) -> web.Response:
    body = exposition(await take_readings(request.app))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
