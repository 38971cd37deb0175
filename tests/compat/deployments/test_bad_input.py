"""Bad input to deployments, schedules, work pools and queues: a 4xx that names it, nothing kept.

Requests as the Prefect 3.9.1 client would send them, with one thing wrong in each: an invalid
cron, rrule, interval or time zone, an unknown work pool or queue, parameters that fail the
deployment's schema, a negative concurrency limit. The status is the one Prefect's server
answers, the answer names what is wrong, and nothing is written. Against a live `signalbox
server start`, and with SIGNALBOX_TEST_REFERENCE_PREFECT=1 against Prefect's own server too.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, NamedTuple

import pytest

from tests.compat.deployments.harness import unique
from tests.compat.expectations import call_api
from tests.compat.prefect_client import RunningServer

# The first test of the package may build the Prefect virtualenv and start the server.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

#: The parameter schema the deployment under test enforces.
SCHEMA = {
    "type": "object",
    "properties": {"marker": {"type": "string"}},
    "required": ["marker"],
}


def send(api_url: str, method: str, path: str, body: Any) -> tuple[int, str]:
    """The status and the body text of one request, whatever the status."""
    request = urllib.request.Request(
        api_url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


class Objects(NamedTuple):
    """What the bad requests are made against."""

    flow_id: str
    pool: str
    deployment_id: str


class BadRequest(NamedTuple):
    name: str
    method: str
    path: str
    body: Any
    status: int
    names: str  # what the answer must mention


def bad_requests(objects: Objects) -> list[BadRequest]:
    flow_id, pool, deployment_id = objects

    def deployment(**fields: Any) -> dict[str, Any]:
        return {"name": unique("refused"), "flow_id": flow_id, **fields}

    def scheduled(schedule: dict[str, Any]) -> dict[str, Any]:
        return deployment(schedules=[{"schedule": schedule, "active": True}])

    return [
        BadRequest("cron", "POST", "/deployments/", scheduled({"cron": "61 * * * *"}), 422,
                   "61 * * * *"),
        BadRequest("cron time zone", "POST", "/deployments/",
                   scheduled({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}), 422,
                   "Mars/Olympus"),
        BadRequest("rrule", "POST", "/deployments/", scheduled({"rrule": "FREQ=SOMETIMES"}),
                   422, "rrule"),
        BadRequest("interval", "POST", "/deployments/", scheduled({"interval": -5}), 422,
                   "interval"),
        BadRequest("interval time zone", "POST", "/deployments/",
                   scheduled({"interval": 60, "timezone": "Nowhere/Land"}), 422,
                   "Nowhere/Land"),
        BadRequest("unknown work pool", "POST", "/deployments/",
                   deployment(work_pool_name="no-such-pool"), 404, "no-such-pool"),
        BadRequest("negative deployment limit", "POST", "/deployments/",
                   deployment(concurrency_limit=-1), 422, "concurrency_limit"),
        BadRequest("schedule added", "POST", f"/deployments/{deployment_id}/schedules",
                   [{"schedule": {"cron": "not a cron"}}], 422, "not a cron"),
        BadRequest("schedule replaced", "PATCH", f"/deployments/{deployment_id}",
                   {"schedules": [{"schedule": {"cron": "0 9 * * *",
                                                "timezone": "Mars/Olympus"}}]},
                   422, "Mars/Olympus"),
        BadRequest("parameter failing the schema", "POST",
                   f"/deployments/{deployment_id}/create_flow_run", {"parameters": {"marker": 5}},
                   409, "marker"),
        BadRequest("negative work pool limit", "POST", "/work_pools/",
                   {"name": unique("refused-pool"), "type": "process", "concurrency_limit": -1},
                   422, "concurrency_limit"),
        BadRequest("negative work pool limit, updated", "PATCH", f"/work_pools/{pool}",
                   {"concurrency_limit": -3}, 422, "concurrency_limit"),
        BadRequest("negative work queue limit", "POST", f"/work_pools/{pool}/queues",
                   {"name": "refused-queue", "concurrency_limit": -1}, 422, "concurrency_limit"),
        BadRequest("runs of an unknown work pool", "POST",
                   "/work_pools/no-such-pool/get_scheduled_flow_runs", {}, 404, "no-such-pool"),
        BadRequest("runs of an unknown work queue", "POST",
                   f"/work_pools/{pool}/get_scheduled_flow_runs",
                   {"work_queue_names": ["no-such-queue"]}, 404, "no-such-queue"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def objects(server: RunningServer) -> Objects:
    """A flow, a process pool, and a deployment of the flow enforcing SCHEMA."""
    api = server.api_url
    flow = call_api(api, "POST", "/flows/", {"name": unique("compat-refusals")})
    pool = call_api(api, "POST", "/work_pools/", {"name": unique("pool"), "type": "process"})
    deployment = call_api(
        api,
        "POST",
        "/deployments/",
        {
            "name": unique("enforcing"),
            "flow_id": flow["id"],
            "parameters": {"marker": "given"},
            "parameter_openapi_schema": SCHEMA,
            "enforce_parameter_schema": True,
            "work_pool_name": pool["name"],
        },
    )
    return Objects(flow["id"], pool["name"], deployment["id"])


def kept(api_url: str, objects: Objects) -> dict[str, Any]:
    """What the server holds of the flow, the pool and the deployment."""
    flow = {"flows": {"id": {"any_": [objects.flow_id]}}}
    deployment = call_api(api_url, "GET", f"/deployments/{objects.deployment_id}")
    queues = call_api(api_url, "POST", f"/work_pools/{objects.pool}/queues/filter", {})
    return {
        "deployments": call_api(api_url, "POST", "/deployments/count", flow),
        "flow_runs": call_api(api_url, "POST", "/flow_runs/count", flow),
        "schedules": deployment["schedules"],
        "pool": call_api(api_url, "GET", f"/work_pools/{objects.pool}")["concurrency_limit"],
        "queues": sorted(queue["name"] for queue in queues),
        "pools": call_api(
            api_url, "POST", "/work_pools/count", {"work_pools": {"type": {"any_": ["process"]}}}
        ),
    }


@pytest.mark.parametrize(
    "case", range(len(bad_requests(Objects("f", "p", "d")))),
    ids=[bad.name for bad in bad_requests(Objects("f", "p", "d"))],
)  # fmt: skip
def test_bad_input_is_refused_with_what_is_wrong_and_nothing_is_kept(
    case: int, server: RunningServer, objects: Objects
) -> None:
    bad = bad_requests(objects)[case]
    before = kept(server.api_url, objects)
    status, text = send(server.api_url, bad.method, bad.path, bad.body)
    assert status == bad.status, text[:2000]
    assert bad.names in text, text[:2000]
    assert kept(server.api_url, objects) == before
