"""`/variables`: the variables by name, searchable, with forms that create, change and delete
them through /api/variables."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.filters.variables import (
    VariableFilter,
    VariableFilterBody,
    VariableNameCriteria,
    VariableSort,
)
from models.variables import filter_variables

routes = web.RouteTableDef()

#: The orders the page offers, with their labels.
SORTS = {
    VariableSort.NAME_ASC: "Name, A to Z",
    VariableSort.NAME_DESC: "Name, Z to A",
    VariableSort.UPDATED_DESC: "Recently updated",
    VariableSort.CREATED_DESC: "Recently created",
}


@routes.get("/variables", name="variables")
@aiohttp_jinja2.template("variables.html")
async def variables_page(request: web.Request) -> dict[str, Any]:
    number = requested_page(request)
    search = request.query.get("name", "").strip()
    # Validated as the API validates its body: an unknown sort is a 400 page.
    body = VariableFilterBody.model_validate(
        {
            "variables": VariableFilter(name=VariableNameCriteria(like_=search))
            if search
            else None,
            "sort": request.query.get("sort") or VariableSort.NAME_ASC,
            "limit": PAGE_SIZE + 1,
            "offset": page_offset(number),
        }
    )
    async with request.app[keys.database].read_sessions() as session:
        variables = await filter_variables(session, body)
    return {"page": Page.of(variables, number), "search": search, "sort": body.sort, "sorts": SORTS}
