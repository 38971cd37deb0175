"""What a run's pages read beside the run: its latest log lines and its artifacts.

Both go through the filter bodies POST /api/logs/filter and /api/artifacts/filter take, so
a page and the API read the same rows the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from models.filters.artifacts import ArtifactFilterBody
from models.filters.bodies import LogFilterBody
from models.runs.artifacts import Artifact, filter_artifacts
from models.runs.logs import Log, filter_logs

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

#: Which run a record belongs to: the column that names it.
RunKey = Literal["flow_run_id", "task_run_id"]


async def read_latest_run_logs(
    session: AsyncSession, run_key: RunKey, run_id: UUID, level: int, limit: int
) -> list[Log]:
    """The latest `limit` lines of a run at `level` or above, oldest first."""
    body = LogFilterBody.model_validate(
        {
            "logs": {run_key: {"any_": [run_id]}, "level": {"ge_": level}},
            "sort": "TIMESTAMP_DESC",
            "limit": limit,
        }
    )
    return list(reversed(await filter_logs(session, body)))


async def read_run_artifacts(
    session: AsyncSession, run_key: RunKey, run_id: UUID, limit: int
) -> list[Artifact]:
    """The artifacts a run published, newest first; results are left out, as Prefect's run
    pages leave them."""
    body = ArtifactFilterBody.model_validate(
        {
            "artifacts": {run_key: {"any_": [run_id]}, "type": {"not_any_": ["result"]}},
            "sort": "CREATED_DESC",
            "limit": limit,
        }
    )
    return await filter_artifacts(session, body)
