"""What the UI's browser tests share besides their fixtures: calls to the server's REST API
(as another client would make them), waiting for what the server records, and finding a
table's row by the name in its header."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

from tests.compat.deployments.harness import wait_for
from tests.compat.expectations import call_api as call_api_at

T = TypeVar("T")

#: Seconds a test waits for the server to record or do what it was asked.
DEADLINE_SECONDS: Final = 30


def call_api(site: str, method: str, path: str, body: Any = None) -> Any:
    """One REST call to the server at `site` (`/flow_runs/...`); its JSON answer (None for
    an empty one). A 404 or 503 raises NotYetThere, which `wait_until` retries."""
    return call_api_at(f"{site}/api", method, path, body)


def wait_until(
    read: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = DEADLINE_SECONDS
) -> T:
    """`read()` again until `done` holds of it; fail after `timeout` s with the last value."""
    return wait_for(read, done, what=what, timeout=timeout)


def row_named(page: Any, name: str, table: str = "table") -> Any:
    """The row of `table` whose header starts with `name` (a field's header adds its key)."""
    header = page.locator("th").filter(has_text=re.compile(rf"^\s*{re.escape(name)}(\s|$)"))
    return page.locator(f"{table} tbody tr", has=header)
