"""How a flow run's and a task run's pages show log lines: the levels one can filter on, the
level the page was asked for, and a level's name."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from models.errors import InvalidRequest

#: The levels a page filters on (Python's logging levels), lowest first.
LOG_LEVELS: Final = ((0, "All"), (10, "Debug"), (20, "Info"), (30, "Warning"), (40, "Error"),
                     (50, "Critical"))  # fmt: skip
#: Log lines a run page shows: the latest ones, oldest of them first.
SHOWN_LOGS: Final = 200
#: Artifacts a run page lists; the artifacts page has the rest.
SHOWN_ARTIFACTS: Final = 50


def log_level_of(request: web.Request) -> int:
    """The `level` of the page's query: the lowest level shown (0, all, when absent)."""
    text = request.query.get("level") or "0"
    if not text.isdigit() or int(text) not in dict(LOG_LEVELS):
        raise InvalidRequest(f"Unknown log level {text!r}.")
    return int(text)


def level_name(level: int) -> str:
    """`INFO` for 20; a level between two known ones takes the lower one's name."""
    known = [name for value, name in LOG_LEVELS if value and value <= level]
    return known[-1].upper() if known else str(level)
