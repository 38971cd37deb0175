"""Frames of the worker channel (`/api/work_pools/{name}/workers/connect`), as the Prefect
3.9.1 worker speaks it: hello from the worker, ready with a snapshot of its work pool from
us, then heartbeats from the worker and a fresh snapshot from us when the pool changed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.schemas.work_pools import WorkPoolResponse

#: The one version of the channel there is.
CHANNEL_VERSION: Final = "work_pool_worker_channel.v1"
HEARTBEAT_CAPABILITY: Final = "worker_heartbeat.v1"
SNAPSHOT_CAPABILITY: Final = "work_pool_snapshot.v1"
#: What every worker must ask for and we grant; cleanup delivery is not offered.
REQUIRED_CAPABILITIES: Final = frozenset({HEARTBEAT_CAPABILITY, SNAPSHOT_CAPABILITY})

NonEmpty = Annotated[str, Field(min_length=1, max_length=255)]


class CloseReason(StrEnum):
    """Why we close a channel; the worker reads the reason and the code."""

    AUTHENTICATION_FAILED = "authentication_failed"
    AUTHORIZATION_FAILED = "authorization_failed"
    UNSUPPORTED_VERSION = "unsupported_version"
    PROTOCOL_ERROR = "protocol_error"
    HEARTBEAT_PERSISTENCE_FAILED = "heartbeat_persistence_failed"
    TRANSIENT_SERVER_ERROR = "transient_server_error"

    @property
    def websocket_code(self) -> int:
        """1008 (policy) for what retrying cannot fix, 1002 for a broken protocol, 1011 for
        our own trouble (the worker reconnects)."""
        if self is CloseReason.PROTOCOL_ERROR:
            return 1002
        if self in (CloseReason.HEARTBEAT_PERSISTENCE_FAILED, CloseReason.TRANSIENT_SERVER_ERROR):
            return 1011
        return 1008


class StrictFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HelloPayload(StrictFrame):
    """Who the worker is, what it polls, and what it asks of the channel."""

    consumer_id: UUID
    worker_name: NonEmpty
    worker_type: NonEmpty
    heartbeat_interval_seconds: int = Field(gt=0, le=2**31 - 1)
    supported_channel_versions: list[NonEmpty] = Field(min_length=1)
    requested_capabilities: list[NonEmpty] = Field(min_length=1)
    work_queue_names: list[NonEmpty] = Field(default_factory=list)
    handled_cleanup_kinds: list[str] = Field(default_factory=list)
    max_cleanup_concurrency: int = Field(default=0, ge=0)
    create_pool_if_not_found: bool = False
    default_base_job_template: dict[str, Any] = Field(default_factory=dict)
    worker_metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def asks_for_the_required_capabilities(self) -> HelloPayload:
        missing = REQUIRED_CAPABILITIES - set(self.requested_capabilities)
        if missing:
            raise ValueError(f"Missing required channel capabilities: {sorted(missing)}")
        return self


class HelloFrame(StrictFrame):
    type: Literal["worker.hello.v1"]
    id: UUID
    sent_at: datetime
    payload: HelloPayload


class HeartbeatPayload(StrictFrame):
    consumer_id: UUID
    worker_name: NonEmpty
    heartbeat_interval_seconds: int = Field(gt=0, le=2**31 - 1)


class HeartbeatFrame(StrictFrame):
    type: Literal["worker.heartbeat.v1"]
    id: UUID
    sent_at: datetime
    payload: HeartbeatPayload


def snapshot(pool: WorkPoolResponse, sequence: int, reason: str) -> dict[str, Any]:
    return {
        "snapshot_sequence": sequence,
        "reason": reason,
        "work_pool": pool.model_dump(mode="json"),
    }


def frame(kind: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"type": kind, "id": str(uuid4()), "sent_at": now.isoformat(), "payload": payload}


def ready_frame(
    hello: HelloPayload,
    pool: WorkPoolResponse,
    queues: list[tuple[UUID, str]],
    now: datetime,
) -> dict[str, Any]:
    """`worker.ready.v1`: the capabilities granted, the queues resolved, the pool as it is."""
    requested = list(dict.fromkeys(hello.requested_capabilities))
    accepted = sorted(REQUIRED_CAPABILITIES, reverse=True)  # heartbeat, then snapshot
    payload = {
        "consumer_id": str(hello.consumer_id),
        "worker_id": None,
        "selected_channel_version": CHANNEL_VERSION,
        "effective_heartbeat_interval_seconds": hello.heartbeat_interval_seconds,
        "accepted_capabilities": accepted,
        "rejected_capabilities": [c for c in requested if c not in REQUIRED_CAPABILITIES],
        "effective_max_cleanup_concurrency": 0,
        "resolved_work_queues": [{"id": str(qid), "name": name} for qid, name in queues],
        "initial_snapshot": snapshot(pool, 1, "initial"),
    }
    return frame("worker.ready.v1", payload, now)
