"""Which scope of API key a request needs: read, write or admin.

Decided from the method and the path alone (plus `include_secrets`), so a route added later
falls under the rules without being listed: GETs read, POSTs that only filter, count or page
read, everything else writes; secrets in clear, block documents, types and schemas, and
changes under /api/admin/ need admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from models.api_keys import Scope

#: Methods that never change anything.
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: The last path segment of a POST that only reads (`/api/flow_runs/filter`, `/count`,
#: `/paginate`, `/api/flow_runs/history`, `/api/flow_runs/lateness`).
READING_SEGMENTS: Final = frozenset({"filter", "count", "paginate", "history", "lateness"})
#: The UI's POSTs read (dashboards, counts, next runs, schema validation).
READING_PREFIXES: Final = ("/api/ui/",)
#: Where block documents, their types and schemas live: changes there need admin, since a
#: block document holds secrets and a block type decides which fields are secret.
BLOCK_PREFIXES: Final = (
    "/api/block_documents",
    "/api/block_types",
    "/api/block_schemas",
    "/api/block_capabilities",
)
ADMIN_PREFIX: Final = "/api/admin/"
#: Websockets that only send to the caller; any other websocket (events in, task-run
#: subscriptions, the Prefect worker channel) needs write.
READING_SOCKETS: Final = frozenset({"/api/events/out", "/api/logs/out"})
#: Routes whose JSON body may ask for secrets in clear (`{"include_secrets": true}`).
SECRETS_IN_BODY: Final = frozenset({"/api/block_documents/filter"})


def asks_for_secrets(query: Mapping[str, str]) -> bool:
    """Whether the query asks for secrets in clear, as block routes read it."""
    return query.get("include_secrets", "false").lower() in {"true", "1", "yes"}


def is_reading_post(path: str) -> bool:
    segments = path.rstrip("/").split("/")
    return (
        segments[-1] in READING_SEGMENTS
        or "count-by" in segments[:-1]
        or path.startswith(READING_PREFIXES)
    )


def required_scope(
    method: str, path: str, query: Mapping[str, str], *, websocket: bool = False
) -> Scope:
    """The least scope that may make this request."""
    if websocket:
        return Scope.READ if path in READING_SOCKETS else Scope.WRITE
    if asks_for_secrets(query):
        return Scope.ADMIN
    if method in SAFE_METHODS:
        return Scope.READ
    reads = method == "POST" and is_reading_post(path)
    if path.startswith(ADMIN_PREFIX) or (path.startswith(BLOCK_PREFIXES) and not reads):
        return Scope.ADMIN
    return Scope.READ if reads else Scope.WRITE
