"""Which scope of API key each kind of request needs."""

from __future__ import annotations

import pytest

from api.scopes import required_scope
from models.api_keys import Scope

READ, WRITE, ADMIN = Scope.READ, Scope.WRITE, Scope.ADMIN


@pytest.mark.parametrize(
    ("method", "path", "query", "needed"),
    [
        ("GET", "/api/flow_runs/1a2b", {}, READ),
        ("HEAD", "/api/flows/1a2b", {}, READ),
        ("POST", "/api/flow_runs/filter", {}, READ),
        ("POST", "/api/flow_runs/count", {}, READ),
        ("POST", "/api/flow_runs/paginate", {}, READ),
        ("POST", "/api/flow_runs/history", {}, READ),
        ("POST", "/api/events/count-by/day", {}, READ),
        ("POST", "/api/ui/flow_runs/count-task-runs", {}, READ),
        ("POST", "/api/block_documents/filter", {}, READ),
        ("POST", "/api/block_types/filter", {}, READ),
        ("POST", "/api/flow_runs/", {}, WRITE),
        ("POST", "/api/flow_runs/1a2b/set_state", {}, WRITE),
        ("PATCH", "/api/variables/name/v", {}, WRITE),
        ("DELETE", "/api/flow_runs/1a2b", {}, WRITE),
        ("POST", "/api/work_pools/p/get_scheduled_flow_runs", {}, WRITE),
        ("POST", "/api/concurrency_limits/increment", {}, WRITE),
        ("POST", "/api/block_documents/", {}, ADMIN),
        ("PATCH", "/api/block_documents/1a2b", {}, ADMIN),
        ("DELETE", "/api/block_types/1a2b", {}, ADMIN),
        ("POST", "/api/block_schemas/", {}, ADMIN),
        ("GET", "/api/block_documents/1a2b", {"include_secrets": "true"}, ADMIN),
        ("GET", "/api/block_documents/1a2b", {"include_secrets": "false"}, READ),
        (
            "GET",
            "/api/block_types/slug/s/block_documents/name/n",
            {"include_secrets": "True"},
            ADMIN,
        ),
        ("POST", "/api/admin/database/clear", {}, ADMIN),
        ("GET", "/api/admin/version", {}, READ),
    ],
)
def test_each_request_needs_the_least_scope_that_may_make_it(
    method: str, path: str, query: dict[str, str], needed: Scope
) -> None:
    assert required_scope(method, path, query) is needed


def test_sockets_that_only_send_need_read_and_every_other_one_write() -> None:
    assert required_scope("GET", "/api/events/out", {}, websocket=True) is READ
    assert required_scope("GET", "/api/events/in", {}, websocket=True) is WRITE
    assert (
        required_scope("GET", "/api/task_runs/subscriptions/scheduled", {}, websocket=True) is WRITE
    )
    assert required_scope("GET", "/api/work_pools/p/workers/connect", {}, websocket=True) is WRITE


def test_each_scope_allows_the_ones_before_it() -> None:
    assert ADMIN.allows(WRITE) and ADMIN.allows(READ) and WRITE.allows(READ)
    assert not READ.allows(WRITE) and not WRITE.allows(ADMIN)
