"""Reading requests: bodies through pydantic, ids from the path, paging limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, TypeVar
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel, TypeAdapter

Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")

#: An `{id}` path segment that only a UUID fills, as Prefect's `{id:uuid}`: a word in its
#: place (`/api/flow_runs/paginate`) is another path, a 404 when no route has it, not a 405.
ID: Final = "{id:[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}}"


async def read_body(request: web.Request, model: type[Model]) -> Model:
    """The body validated as `model`; malformed JSON or a wrong shape is a 422."""
    return model.model_validate_json(await request.read() or b"{}")


async def read_body_as(request: web.Request, adapter: TypeAdapter[T]) -> T:
    """The body validated by a TypeAdapter (a shape that is not a model, such as labels)."""
    return adapter.validate_json(await request.read())


def path_uuid(request: web.Request, name: str = "id") -> UUID:
    """A UUID from the path; one that does not parse is a 404, as the reference answers."""
    try:
        return UUID(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound(reason="Not Found") from None


def query_uuid(request: web.Request, name: str) -> UUID:
    value = request.query.get(name)
    if value is None:
        raise web.HTTPUnprocessableEntity(reason=f"Query parameter {name} is required")
    try:
        return UUID(value)
    except ValueError:
        raise web.HTTPUnprocessableEntity(reason=f"Query parameter {name} is not a UUID") from None


def query_datetime(request: web.Request, name: str, default: datetime) -> datetime:
    """An ISO 8601 time from the query (UTC when it has no offset); one that does not parse
    is a 422."""
    value = request.query.get(name)
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise web.HTTPUnprocessableEntity(reason=f"Query parameter {name} is not a time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
