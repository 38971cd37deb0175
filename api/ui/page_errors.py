"""Errors on a page answer as a page: a person who follows a stale link reads what is missing,
not a JSON document. `/api/…` keeps its JSON errors (`api/errors.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web
from pydantic import ValidationError

from models.errors import InvalidRequest, ObjectNotFound

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Paths that are not pages: the REST API, and the UI's own files and live stream.
NOT_PAGES = ("/api/", "/ui/")


def is_page(request: web.Request) -> bool:
    return request.method in {"GET", "HEAD"} and not request.path.startswith(NOT_PAGES)


@web.middleware
async def page_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A missing object or an unknown path is a 404 page; a bad filter is a 400 page."""
    if not is_page(request):
        return await handler(request)
    try:
        return await handler(request)
    except (ObjectNotFound, web.HTTPNotFound) as missing:
        detail = missing.detail if isinstance(missing, ObjectNotFound) else "No such page."
        return error_page(request, 404, "Not found", str(detail))
    except (InvalidRequest, ValidationError) as invalid:
        detail = invalid.detail if isinstance(invalid, InvalidRequest) else str(invalid)
        return error_page(request, 400, "Bad request", str(detail))


def error_page(request: web.Request, status: int, title: str, detail: str) -> web.Response:
    return aiohttp_jinja2.render_template(
        "error.html", request, {"title": title, "detail": detail}, status=status
    )
