"""Wire schemas of task workers: the frame a task worker subscribes with, and the listing."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TaskRunSubscription(BaseModel):
    """The frame after `auth` on `/api/task_runs/subscriptions/scheduled`."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["subscribe"]
    #: The task keys whose scheduled runs the worker takes.
    keys: list[str] = Field(min_length=1, max_length=1_000)
    #: The worker's own id: how `/api/task_workers/filter` names it.
    client_id: str = Field(min_length=1, max_length=255)


class TaskWorkerFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_keys: list[str] = Field(default_factory=list)


class TaskWorkerFilterBody(BaseModel):
    """The body of POST /api/task_workers/filter; no filter, or no keys, lists every worker."""

    model_config = ConfigDict(extra="forbid")

    task_worker_filter: TaskWorkerFilter | None = None


class TaskWorkerResponse(BaseModel):
    """A connected task worker, the keys it serves, and when it was last seen."""

    identifier: str
    task_keys: list[str]
    timestamp: datetime
