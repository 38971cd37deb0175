"""Artifacts: create, read, change, delete, list and count; and the latest artifact per key.

Run ids are taken as given: an artifact often names a task run the server has not heard of
yet (its events come later, on their own socket).
"""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.db.types import utcnow
from models.filters.artifacts import (
    ArtifactCountBody,
    ArtifactFilterBody,
    LatestArtifactCountBody,
    LatestArtifactFilterBody,
)
from models.runs.artifacts import (
    count_artifacts,
    count_latest_artifacts,
    create_artifact,
    delete_artifact,
    filter_artifacts,
    filter_latest_artifacts,
    read_artifact,
    read_latest_artifact,
    update_artifact,
)
from models.schemas.artifacts import (
    ArtifactCollectionResponse,
    ArtifactCreate,
    ArtifactResponse,
    ArtifactUpdate,
)

routes = web.RouteTableDef()

TAG = "Artifacts"


@routes.post("/api/artifacts/")
@documented("Publish an artifact; one with a key becomes the latest of its key.", tag=TAG,
            body=ArtifactCreate, response=ArtifactResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, ArtifactCreate)
    async with request.app[keys.database].sessions.begin() as session:
        artifact = await create_artifact(session, body.model_dump(), utcnow())
    return json_model(ArtifactResponse.model_validate(artifact), status=201)


@routes.get(f"/api/artifacts/{ID}")
@documented("An artifact by id.", tag=TAG, response=ArtifactResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        artifact = await read_artifact(session, path_uuid(request))
    return json_model(ArtifactResponse.model_validate(artifact))


@routes.get("/api/artifacts/{key}/latest")
@documented("The artifact published last under a key.", tag=TAG, response=ArtifactResponse)
async def read_latest(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        artifact = await read_latest_artifact(session, request.match_info["key"])
    return json_model(ArtifactResponse.model_validate(artifact))


@routes.patch(f"/api/artifacts/{ID}")
@documented("Change an artifact's data, description or metadata (a progress update).",
            tag=TAG, body=ArtifactUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, ArtifactUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_artifact(session, path_uuid(request), changes, utcnow())
    return no_content()


@routes.delete(f"/api/artifacts/{ID}")
@documented("Delete an artifact; the one before it becomes its key's latest.", tag=TAG,
            status=204)  # fmt: skip
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_artifact(session, path_uuid(request))
    return no_content()


@routes.post("/api/artifacts/filter")
@documented("Artifacts matching a filter, sorted and paged (at most 200).", tag=TAG,
            body=ArtifactFilterBody, response=ArtifactResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, ArtifactFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        artifacts = await filter_artifacts(session, body)
    return json_models([ArtifactResponse.model_validate(a) for a in artifacts], ArtifactResponse)


@routes.post("/api/artifacts/count")
@documented("How many artifacts match a filter (a bare integer).", tag=TAG,
            body=ArtifactCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, ArtifactCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_artifacts(session, body)
    return json_value(total)


@routes.post("/api/artifacts/latest/filter")
@documented("The latest artifact of each key matching a filter, sorted and paged.", tag=TAG,
            body=LatestArtifactFilterBody, response=ArtifactCollectionResponse,
            response_is_list=True)  # fmt: skip
async def read_latest_matching(request: web.Request) -> web.Response:
    body = await read_body(request, LatestArtifactFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        latest = await filter_latest_artifacts(session, body)
    return json_models(
        [ArtifactCollectionResponse.model_validate(row) for row in latest],
        ArtifactCollectionResponse,
    )


@routes.post("/api/artifacts/latest/count")
@documented("How many keys have a latest artifact matching a filter.", tag=TAG,
            body=LatestArtifactCountBody)  # fmt: skip
async def count_latest(request: web.Request) -> web.Response:
    body = await read_body(request, LatestArtifactCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_latest_artifacts(session, body)
    return json_value(total)
