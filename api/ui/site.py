"""The web UI wired into the application: templates, static files, the live stream, pages.

Pages live at Prefect's UI paths (`/runs/flow-run/<id>` and so on), so the links the Prefect
client prints and the links in notifications open here. Each page module reads through the
same model functions as the API routes and renders a template; actions on a page (cancel,
pause, replay) are small scripts that call the REST API itself, so there is one write path.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Final

import aiohttp_jinja2
import jinja2
from aiohttp import web

from api.ui import (
    about,
    artifacts,
    automations,
    blocks,
    concurrency_limits,
    dashboard,
    dead_letters,
    deliveries,
    deployments,
    flow_run_page,
    flows,
    formatting,
    live,
    notifications,
    runs,
    task_run_page,
    variables,
    work_pools,
)
from api.ui.page_errors import page_errors
from api.ui.server_timing import server_timing

# aiohttp-jinja2 keeps each page's template context under a str key on the request (and its
# context processors under one on the app), which aiohttp answers with a NotAppKeyWarning on
# every page: the library's choice, not ours, so only its own warnings of that kind are muted.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_jinja2")

#: Page modules, each with its `routes`.
PAGE_MODULES: Final = (
    about,
    live,
    dashboard,
    runs,
    flow_run_page,
    task_run_page,
    flows,
    deployments,
    work_pools,
    concurrency_limits,
    blocks,
    variables,
    artifacts,
    automations,
    notifications,
    deliveries,
    dead_letters,
)
#: The main navigation: path and label, in the order people look for them.
NAVIGATION: Final = (
    ("/dashboard", "Dashboard"),
    ("/runs", "Runs"),
    ("/flows", "Flows"),
    ("/deployments", "Deployments"),
    ("/work-pools", "Work pools"),
    ("/concurrency-limits", "Concurrency"),
    ("/blocks", "Blocks"),
    ("/variables", "Variables"),
    ("/artifacts", "Artifacts"),
    ("/automations", "Automations"),
    ("/notifications", "Notifications"),
    ("/about", "About"),
)
STATIC_DIR: Final = Path(__file__).parent / "static"
#: Where the pages' CSS and scripts are served from (never a CDN: the UI works offline).
STATIC_PREFIX: Final = "/ui/static"


def install_ui(app: web.Application) -> None:
    """Templates, filters, static files and every page, on `app`."""
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("api.ui", "templates"),
        # Everything a page shows may come from a client (run names, log lines): escape all.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        context_processors=[aiohttp_jinja2.request_processor],
    )
    formatting.install(environment)
    static = app.router.add_static(STATIC_PREFIX, STATIC_DIR, append_version=True)
    assert isinstance(static, web.StaticResource)
    environment.globals.update(
        navigation=NAVIGATION,
        # The file's URL with its content hash, so a browser never runs a stale script.
        static=lambda name: str(static.url_for(filename=name, append_version=True)),
    )
    app.middlewares.append(server_timing)  # outside page_errors: error pages are timed too
    app.middlewares.append(page_errors)
    for module in PAGE_MODULES:
        app.add_routes(module.routes)
