"""`/artifacts`, `/artifacts/artifact/<id>` and `/artifacts/key/<key>`: what runs published.

The list holds the latest artifact of each key and the unkeyed ones, without their data; an
artifact's page renders its data by type (api/ui/artifact_rendering.py) and lists the other
versions of its key.
"""

from __future__ import annotations

from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import ID, path_uuid
from api.ui.artifact_rendering import progress_percentage, render_artifact
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.runs.artifact_listing import list_artifact_summaries, list_artifact_versions
from models.runs.artifacts import Artifact, read_artifact, read_latest_artifact

routes = web.RouteTableDef()

#: The types the Prefect client publishes, offered by the type filter.
ARTIFACT_TYPES: Final = ("markdown", "table", "link", "progress", "image", "result")
#: Seconds between refreshes of pages with no event to follow: a list that runs add to,
#: a progress bar still moving.
LIST_POLL_SECONDS: Final = 15
PROGRESS_POLL_SECONDS: Final = 5


@routes.get("/artifacts", name="artifacts")
@aiohttp_jinja2.template("artifacts.html")
async def artifacts_page(request: web.Request) -> dict[str, Any]:
    number = requested_page(request)
    artifact_type = request.query.get("type") or None
    key_like = request.query.get("key", "").strip()
    async with request.app[keys.database].read_sessions() as session:
        artifacts = await list_artifact_summaries(
            session,
            artifact_type=artifact_type,
            key_like=key_like or None,
            limit=PAGE_SIZE + 1,
            offset=page_offset(number),
        )
    return {
        "page": Page.of(artifacts, number),
        "types": ARTIFACT_TYPES,
        "chosen_type": artifact_type,
        "key_like": key_like,
        "live_poll": LIST_POLL_SECONDS,
    }


@routes.get(f"/artifacts/artifact/{ID}", name="artifact")
async def artifact_page(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        artifact = await read_artifact(session, path_uuid(request))
    return await render_artifact_page(request, artifact)


@routes.get("/artifacts/key/{key}", name="artifact_key")
async def artifact_key_page(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        artifact = await read_latest_artifact(session, request.match_info["key"])
    return await render_artifact_page(request, artifact)


async def render_artifact_page(request: web.Request, artifact: Artifact) -> web.Response:
    """The artifact rendered by its type, with a page of its key's versions."""
    number = requested_page(request)
    versions: Page[Any] | None = None
    if artifact.key is not None:
        async with request.app[keys.database].read_sessions() as session:
            rows = await list_artifact_versions(
                session, artifact.key, limit=PAGE_SIZE + 1, offset=page_offset(number)
            )
        versions = Page.of(rows, number)
    context: dict[str, Any] = {
        "artifact": artifact,
        "rendered": render_artifact(artifact.type, artifact.data),
        "versions": versions,
    }
    progress = progress_percentage(artifact.data) if artifact.type == "progress" else None
    if progress is not None and progress < 100:
        context["live_poll"] = PROGRESS_POLL_SECONDS
    return aiohttp_jinja2.render_template("artifact.html", request, context)
