"""Wire schemas of log lines: the records of POST /api/logs/ and what a log reads as."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

#: Records one POST /api/logs/ may carry. The client sends a batch every 2 s of at most
#: 4,000,000 bytes; its smallest records are about 110 bytes, hence ~36,000 at worst.
MAX_LOG_BATCH: Final = 50_000

#: Characters of one message that are kept. The client drops records over 1,000,000 bytes
#: itself; a longer message from another sender is cut, not refused with its whole batch.
MAX_LOG_MESSAGE_CHARS: Final = 1_000_000

#: What replaces a NUL character, which PostgreSQL text columns cannot hold.
NUL_REPLACEMENT: Final = "\ufffd"


class LogCreate(BaseModel):
    """One record of a POST /api/logs/ batch.

    The run ids have no foreign keys behind them: a log often names a task run whose events
    have not reached the server yet.
    """

    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=255)
    #: Python logging level; stored in a 32-bit integer column.
    level: int = Field(ge=-(2**31), le=2**31 - 1)
    message: str
    timestamp: AwareDatetime
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None

    @field_validator("name", "message", mode="after")
    @classmethod
    def replace_nul(cls, value: str) -> str:
        return value.replace("\x00", NUL_REPLACEMENT)

    @field_validator("message", mode="after")
    @classmethod
    def cut_long_message(cls, value: str) -> str:
        return value[:MAX_LOG_MESSAGE_CHARS]


#: The body of POST /api/logs/: validate it with `TypeAdapter(LogBatch)`.
LogBatch = Annotated[list[LogCreate], Field(max_length=MAX_LOG_BATCH)]


class LogResponse(BaseModel):
    """A stored log line as the client reads it (POST /api/logs/filter)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    name: str
    level: int
    message: str
    timestamp: datetime
    flow_run_id: UUID | None
    task_run_id: UUID | None
