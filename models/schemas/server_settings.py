"""GET /api/admin/settings: the server's settings laid out as Prefect's server shows its own.

Only the settings Signalbox has an answer for appear, each where Prefect puts it; the
database URL is masked as Prefect masks secret settings.
"""

from __future__ import annotations

from typing import Any, Final

from models.filters.base import DEFAULT_LIMIT
from models.runs.flow_run_graph import MAX_ARTIFACTS, MAX_NODES
from models.settings import Settings

#: How Prefect shows a secret setting.
MASKED: Final = "*" * 10


def prefect_settings_view(settings: Settings) -> dict[str, Any]:
    """The settings a Prefect UI or client may read, in Prefect's sections."""
    api_url = f"http://{settings.api_host}:{settings.api_port}/api"
    return {
        "home": str(settings.home),
        "api": {"url": api_url},
        "server": {
            "api": {
                "host": settings.api_host,
                "port": settings.api_port,
                "base_path": None,
                "default_limit": DEFAULT_LIMIT,
                "csrf_protection_enabled": False,
            },
            "database": {
                "connection_url": MASKED,
                "migrate_on_start": settings.migrate_on_start,
            },
            "flow_run_graph": {"max_nodes": MAX_NODES, "max_artifacts": MAX_ARTIFACTS},
            "ui": {"enabled": True, "api_url": api_url},
        },
        "ui_url": settings.ui_url,
    }
