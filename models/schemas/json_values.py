"""JSON values that clients store as they are (variable values, artifact data).

PostgreSQL's JSONB cannot hold a NUL character, and the stores bound how much one value may
weigh, so both are checked at the door rather than failing in the database.
"""

from __future__ import annotations

import json
from typing import Any


def check_json_value(value: Any, what: str, max_bytes: int | None = None) -> Any:
    """`value` itself; raises ValueError when it holds a NUL or weighs more than `max_bytes`."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if "\\u0000" in text:
        raise ValueError(f"{what} must not contain NUL characters (\\u0000)")
    if max_bytes is not None and len(text.encode()) > max_bytes:
        raise ValueError(f"{what} must be at most {max_bytes} bytes as JSON")
    return value
