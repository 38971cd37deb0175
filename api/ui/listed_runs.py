"""Flow runs as rows of a page's table: the API's listing, with times as times and flow names.

Pages list runs through the same query as POST /api/flow_runs/filter (`filter_flow_runs`),
whose rows carry their values as the JSON text clients read; a page wants datetimes to
format and the flow's name (`read_flow_names`) beside the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from models.runs.flow_run_listing import decoded, parsed
from models.schemas.flow_runs import estimated_run_time

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class ListedRun:
    """What a row of a runs table shows of one flow run."""

    id: str
    name: str
    flow_id: str
    flow_name: str | None
    deployment_id: str | None
    state_type: str | None
    state_name: str | None
    expected_start_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    #: Seconds it ran, or has been running.
    run_time: float
    tags: list[str]

    @property
    def start(self) -> datetime | None:
        """When it started, or else when it is expected to."""
        return self.start_time or self.expected_start_time

    @property
    def duration(self) -> float | None:
        """Seconds it ran or has been running; None before it starts."""
        return self.run_time if self.start_time is not None else None


def listed_run(row: Any, flow_names: dict[str, str], now: datetime) -> ListedRun:
    """A row of the flow-run listing (`FLOW_RUN_LISTING`) as a row of a page."""
    tags = decoded(row.tags)
    return ListedRun(
        id=row.id,
        name=row.name,
        flow_id=row.flow_id,
        flow_name=flow_names.get(row.flow_id),
        deployment_id=row.deployment_id,
        state_type=row.state_type,
        state_name=row.state_name,
        expected_start_time=parsed(row.expected_start_time),
        start_time=parsed(row.start_time),
        end_time=parsed(row.end_time),
        run_time=estimated_run_time(
            row.state_type, parsed(row.state_timestamp), row.total_run_time_seconds, now
        ),
        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [],
    )


def flow_ids_of(rows: Sequence[Any]) -> list[UUID]:
    """The flows of the listed rows, each once: whose names the rows are shown with."""
    return sorted({UUID(row.flow_id) for row in rows})


def listed_runs(rows: Sequence[Any], flow_names: dict[UUID, str], now: datetime) -> list[ListedRun]:
    """Rows of `filter_flow_runs` as rows of a page, with their flows' names."""
    names = {str(flow_id): name for flow_id, name in flow_names.items()}
    return [listed_run(row, names, now) for row in rows]
