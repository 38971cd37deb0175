"""What the API sends to the actors, coalesced per actor: events, logs, flow-run states."""

from __future__ import annotations

from actors.enqueue import MAX_QUEUED_EVENT_MESSAGES, MAX_QUEUED_MESSAGES, Coalescer
from actors.ingest import persist_events, persist_logs
from actors.persistence import announce_flow_run_states, record_task_run_events
from models.messages.announcements import Announcement
from models.messages.event_batches import QueuedEvent
from models.messages.log_batches import QueuedLogRecord


class Outbox:
    """One coalescer per batch actor; closed (flushed) when the application stops."""

    def __init__(self) -> None:
        # The bulk streams wait for the workers' backlog to shrink (`Coalescer.room`).
        self.task_run_events: Coalescer[QueuedEvent] = Coalescer(
            record_task_run_events, max_queued=MAX_QUEUED_EVENT_MESSAGES
        )
        self.events: Coalescer[QueuedEvent] = Coalescer(
            persist_events, max_queued=MAX_QUEUED_EVENT_MESSAGES
        )
        self.logs: Coalescer[QueuedLogRecord] = Coalescer(
            persist_logs, max_queued=MAX_QUEUED_MESSAGES
        )
        self.flow_run_states: Coalescer[Announcement] = Coalescer(announce_flow_run_states)

    async def close(self) -> None:
        for coalescer in (self.task_run_events, self.events, self.logs, self.flow_run_states):
            await coalescer.close()
