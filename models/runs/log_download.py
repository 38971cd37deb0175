"""A flow run's logs as one CSV file (GET /api/flow_runs/{id}/logs/download)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import quote
from uuid import UUID

from models.filters.base import MAX_LIMIT
from models.filters.bodies import LogFilterBody
from models.runs.flow_runs import read_flow_run
from models.runs.logs import filter_logs

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The CSV's first line, as the reference writes it.
CSV_HEADER: Final = ("timestamp", "level", "flow_run_id", "task_run_id", "message")


@dataclass(frozen=True)
class LogDownload:
    """The file's name (percent-encoded, for Content-Disposition) and its text, in pieces."""

    quoted_filename: str
    chunks: AsyncIterator[str]


async def download_flow_run_logs(session: AsyncSession, flow_run_id: UUID) -> LogDownload:
    """The run's logs, oldest first, as CSV read a page at a time while the session is open.

    Raises ObjectNotFound for an unknown flow run.
    """
    flow_run, _ = await read_flow_run(session, flow_run_id)
    filename = quote(f"{flow_run.name}-logs.csv", safe="")
    return LogDownload(filename, csv_pages(session, flow_run_id))


async def csv_pages(session: AsyncSession, flow_run_id: UUID) -> AsyncIterator[str]:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_HEADER)
    yield taken(text)
    offset = 0
    while True:
        body = LogFilterBody.model_validate(
            {
                "logs": {"flow_run_id": {"any_": [str(flow_run_id)]}},
                "limit": MAX_LIMIT,
                "offset": offset,
            }
        )
        logs = await filter_logs(session, body)
        for log in logs:
            writer.writerow(
                (log.timestamp, log.level, log.flow_run_id, log.task_run_id, log.message)
            )
        if logs:
            yield taken(text)
        if len(logs) < MAX_LIMIT:
            return
        offset += MAX_LIMIT


def taken(text: io.StringIO) -> str:
    """What was written to `text` so far, which is then emptied."""
    value = text.getvalue()
    text.seek(0)
    text.truncate(0)
    return value
