"""Wire schemas of dead letters: a listing row, a replay's body and answer, a purge's answer."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class DeadLetterResponse(BaseModel):
    """A dead letter without its message (which may hold anything a client sent)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    queue_name: str
    actor_name: str
    reason: str
    first_failed: datetime
    last_failed: datetime
    failure_count: int
    replay_count: int
    replayed_at: datetime | None


class DeadLetterReplayBody(BaseModel):
    """The body of POST /api/admin/dead_letters/replay: every dead letter, or one queue's."""

    model_config = ConfigDict(extra="forbid")

    queue_name: str | None = Field(default=None, max_length=64)


class ReplayedDeadLetterResponse(BaseModel):
    """A dead letter sent again, and the id of the fresh message it went as."""

    model_config = ConfigDict(from_attributes=True)

    dead_letter_id: UUID
    queue_name: str
    message_id: str


class DeadLetterPurgeResponse(BaseModel):
    """What DELETE /api/admin/dead_letters forgot."""

    queue_name: str
    purged: int
