"""What the API sends to the actors, coalesced per actor: task-run events, events, logs."""

from __future__ import annotations

from typing import Any

from actors.enqueue import Coalescer
from actors.ingest import persist_events, persist_logs
from actors.persistence import record_task_run_events


class Outbox:
    """One coalescer per batch actor; closed (flushed) when the application stops."""

    def __init__(self) -> None:
        self.task_run_events: Coalescer[dict[str, Any]] = Coalescer(record_task_run_events)
        self.events: Coalescer[dict[str, Any]] = Coalescer(persist_events)
        self.logs: Coalescer[dict[str, Any]] = Coalescer(persist_logs)

    async def close(self) -> None:
        for coalescer in (self.task_run_events, self.events, self.logs):
            await coalescer.close()
