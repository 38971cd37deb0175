"""The foreman's rounds: Prefect workers whose heartbeats stopped go OFFLINE, pools left
without an online worker NOT_READY, and queues and deployments nobody polls NOT_READY.

Each function runs on the writer thread in its own short transaction, and repeating one
changes nothing: a row only moves when it is still in the status being left.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, or_, select, update

from models.coordination.deployments import Deployment
from models.coordination.work_pools import (
    Worker,
    WorkerStatus,
    WorkPool,
    WorkPoolStatus,
    WorkQueue,
    WorkQueueStatus,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def mark_silent_workers_offline(
    session: Session, now: datetime, fallback_interval_seconds: int, missed_heartbeats: int
) -> int:
    """ONLINE Prefect workers with no heartbeat for `missed_heartbeats` of their intervals
    (the fallback when they gave none) become OFFLINE; returns how many."""
    online = session.execute(
        select(Worker.id, Worker.last_heartbeat_time, Worker.heartbeat_interval_seconds).where(
            Worker.status == WorkerStatus.ONLINE
        )
    )
    silent = [
        worker_id
        for worker_id, last, interval in online
        if last is None
        or now - last
        > timedelta(seconds=(interval or fallback_interval_seconds) * missed_heartbeats)
    ]
    if not silent:
        return 0
    session.execute(
        update(Worker)
        .where(Worker.id.in_(silent), Worker.status == WorkerStatus.ONLINE)
        .values(status=WorkerStatus.OFFLINE)
        .execution_options(synchronize_session=False)
    )
    return len(silent)


def mark_pools_without_workers_not_ready(session: Session, now: datetime) -> int:
    """READY work pools with no ONLINE Prefect worker become NOT_READY; returns how many."""
    has_online_worker = exists().where(
        Worker.work_pool_id == WorkPool.id, Worker.status == WorkerStatus.ONLINE
    )
    result = session.execute(
        update(WorkPool)
        .where(WorkPool.status == WorkPoolStatus.READY, ~has_online_worker)
        .values(status=WorkPoolStatus.NOT_READY, updated=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_unpolled_deployments_not_ready(
    session: Session, now: datetime, timeout_seconds: int
) -> int:
    """READY deployments neither they nor their work queue polled within the timeout become
    NOT_READY (their `updated` unchanged); returns how many."""
    threshold = now - timedelta(seconds=timeout_seconds)
    queue_polled = (
        select(WorkQueue.last_polled)
        .where(WorkQueue.id == Deployment.work_queue_id)
        .scalar_subquery()
    )
    result = session.execute(
        update(Deployment)
        .where(
            Deployment.status == "READY",
            Deployment.last_polled.is_not(None),
            Deployment.last_polled < threshold,
            or_(queue_polled.is_(None), and_(queue_polled < threshold)),
        )
        .values(status="NOT_READY", updated=Deployment.updated)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_unpolled_queues_not_ready(session: Session, now: datetime, timeout_seconds: int) -> int:
    """READY work queues not polled within the timeout become NOT_READY; returns how many."""
    threshold = now - timedelta(seconds=timeout_seconds)
    result = session.execute(
        update(WorkQueue)
        .where(
            WorkQueue.status == WorkQueueStatus.READY,
            WorkQueue.last_polled.is_not(None),
            WorkQueue.last_polled < threshold,
        )
        .values(status=WorkQueueStatus.NOT_READY)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
