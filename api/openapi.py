"""The OpenAPI 3 description of the API, built from the routes and their pydantic models.

Each route says what it does with `@documented(...)`; the document is assembled from the
router, so a route that exists is described and a description never outlives its route.
We build it here rather than through a framework plug-in because the API is plain aiohttp
routes and what is needed is small: paths, summaries, and the pydantic schemas.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import TypeAdapter

routes = web.RouteTableDef()

Handler = TypeVar("Handler", bound=Callable[..., Any])
#: A wire schema: a pydantic model, or a TypedDict where the hot path validates plain dicts.
Schema = type[Any]


@dataclass(frozen=True)
class Operation:
    """What one route does, for the description."""

    summary: str
    tag: str
    body: Schema | None = None
    body_is_list: bool = False
    response: Schema | None = None
    response_is_list: bool = False
    status: int = 200
    query: dict[str, str] = field(default_factory=dict)


def documented(
    summary: str,
    *,
    tag: str,
    body: Schema | None = None,
    body_is_list: bool = False,
    response: Schema | None = None,
    response_is_list: bool = False,
    status: int = 200,
    query: dict[str, str] | None = None,
) -> Callable[[Handler], Handler]:
    """Attach the route's description to its handler."""
    operation = Operation(
        summary, tag, body, body_is_list, response, response_is_list, status, query or {}
    )

    def attach(handler: Handler) -> Handler:
        handler.__openapi__ = operation  # type: ignore[attr-defined]
        return handler

    return attach


def describe(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every documented route of `app`."""
    operations: list[tuple[str, str, Operation]] = []
    for route in app.router.routes():
        operation = getattr(route.handler, "__openapi__", None)
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if operation is not None and path and route.method != "HEAD":
            operations.append((path, route.method.lower(), operation))

    models = {m for _, _, op in operations for m in (op.body, op.response) if m is not None}
    ordered = sorted(models, key=lambda m: m.__name__)
    keyed, definitions = TypeAdapter.json_schemas(
        [(index, "validation", TypeAdapter(model)) for index, model in enumerate(ordered)],
        ref_template="#/components/schemas/{model}",
    )
    refs = {ordered[index]: schema for (index, _), schema in keyed.items()}

    paths: dict[str, dict[str, Any]] = {}
    for path, method, op in operations:
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag]}
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in path_parameters(path)
        ] + [
            {"name": name, "in": "query", "description": text, "schema": {"type": "string"}}
            for name, text in op.query.items()
        ]
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            schema = list_of(refs[op.body]) if op.body_is_list else refs[op.body]
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }
        response: dict[str, Any] = {"description": "Success"}
        if op.response is not None:
            schema = list_of(refs[op.response]) if op.response_is_list else refs[op.response]
            response["content"] = {"application/json": {"schema": schema}}
        entry["responses"] = {str(op.status): response, "422": {"description": "Invalid input"}}
        paths.setdefault(path, {})[method] = entry

    return {
        "openapi": "3.1.0",
        "info": {"title": "Signalbox", "version": "3.9.1"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": definitions.get("$defs", {})},
    }


def path_parameters(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def list_of(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


@routes.get("/api/openapi.json")
async def read_openapi(request: web.Request) -> web.Response:
    return web.json_response(describe(request.app))


@routes.get("/docs")
async def read_docs(request: web.Request) -> web.Response:
    """A readable page of every route, rendered on the server: no script or CDN needed."""
    document = describe(request.app)
    by_tag: dict[str, list[str]] = {}
    for path, methods in document["paths"].items():
        for method, entry in methods.items():
            body = entry.get("requestBody", {}).get("content", {}).get("application/json", {})
            shape = schema_name(body.get("schema"))
            row = (
                f"<tr><td class=m>{method.upper()}</td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(entry['summary'])}</td><td>{html.escape(shape)}</td></tr>"
            )
            by_tag.setdefault(entry["tags"][0], []).append(row)
    sections = "".join(
        f"<h2>{html.escape(tag)}</h2><table><tr><th>method</th><th>path</th><th>what</th>"
        f"<th>body</th></tr>{''.join(rows)}</table>"
        for tag, rows in sorted(by_tag.items())
    )
    page = (
        "<!doctype html><html><head><meta charset=utf-8><title>Signalbox API</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:.3rem .5rem;text-align:left;vertical-align:top}.m{font-weight:600}"
        "</style></head><body><h1>Signalbox API</h1><p>The machine-readable description is "
        "<a href='/api/openapi.json'>/api/openapi.json</a>. Paths, bodies and answers follow "
        f"Prefect's 3.x REST API.</p>{sections}</body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if schema.get("type") == "array":
        return f"list of {schema_name(schema.get('items'))}"
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1]
