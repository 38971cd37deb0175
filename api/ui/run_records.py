"""What a flow run's and a task run's pages both show of the run: its log lines, filtered by
level, and the artifacts it published; read through the filters the API's routes use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from uuid import UUID

from aiohttp import web

from models.errors import InvalidRequest
from models.filters.artifacts import ArtifactFilterBody
from models.filters.bodies import LogFilterBody
from models.runs.artifacts import Artifact, filter_artifacts
from models.runs.logs import Log, filter_logs

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

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


async def read_run_logs(
    session: AsyncSession, run_key: str, run_id: UUID, level: int
) -> Sequence[Log]:
    """The latest SHOWN_LOGS lines of a run (`run_key`: flow_run_id or task_run_id) at
    `level` or above, oldest first."""
    body = LogFilterBody.model_validate(
        {
            "logs": {run_key: {"any_": [run_id]}, "level": {"ge_": level}},
            "sort": "TIMESTAMP_DESC",
            "limit": SHOWN_LOGS,
        }
    )
    return list(reversed(await filter_logs(session, body)))


async def read_run_artifacts(session: AsyncSession, run_key: str, run_id: UUID) -> list[Artifact]:
    """The artifacts a run published, newest first; results are left out, as Prefect does."""
    body = ArtifactFilterBody.model_validate(
        {
            "artifacts": {run_key: {"any_": [run_id]}, "type": {"not_any_": ["result"]}},
            "sort": "CREATED_DESC",
            "limit": SHOWN_ARTIFACTS,
        }
    )
    return await filter_artifacts(session, body)
