"""What the API sends to the actors, coalesced per actor: events, logs, flow-run states."""

from __future__ import annotations

from actors.enqueue import Coalescer
from actors.high_water import HighWaterMark
from actors.ingest import persist_events, persist_logs
from actors.persistence import announce_flow_run_states, record_task_run_events
from models.messages.announcements import Announcement
from models.messages.event_batches import QueuedEvent
from models.messages.log_batches import QueuedLogRecord


class Outbox:
    """One coalescer per batch actor; closed (flushed) when the application stops."""

    def __init__(self, high_water: HighWaterMark | None = None) -> None:
        # The bulk streams wait while Redis is above its high-water mark (`Coalescer.room`).
        self.task_run_events: Coalescer[QueuedEvent] = Coalescer(
            record_task_run_events, high_water=high_water
        )
        self.events: Coalescer[QueuedEvent] = Coalescer(persist_events, high_water=high_water)
        self.logs: Coalescer[QueuedLogRecord] = Coalescer(persist_logs, high_water=high_water)
        self.flow_run_states: Coalescer[Announcement] = Coalescer(announce_flow_run_states)

    async def close(self) -> None:
        for coalescer in (self.task_run_events, self.events, self.logs, self.flow_run_states):
            await coalescer.close()
