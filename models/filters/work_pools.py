"""Filters of work pools, their work queues and the Prefect workers that poll them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from models.coordination.work_pools import Worker, WorkPool, WorkQueue
from models.filters.base import ObjectFilter
from models.filters.criteria import IdCriteria, TextCriteria, TimeCriteria, WorkerStatusCriteria


class WorkPoolFilter(ObjectFilter):
    """Criteria on work pools."""

    id: IdCriteria | None = None
    name: TextCriteria | None = None
    type: TextCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(WorkPool.id) if self.id else None,
            self.name.clause(WorkPool.name) if self.name else None,
            self.type.clause(WorkPool.type) if self.type else None,
        ]


class WorkQueueFilter(ObjectFilter):
    """Criteria on work queues (`work_pool_queues` in a flow-run filter body)."""

    id: IdCriteria | None = None
    name: TextCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(WorkQueue.id) if self.id else None,
            self.name.clause(WorkQueue.name) if self.name else None,
        ]


class WorkerFilter(ObjectFilter):
    """Criteria on Prefect workers; the worker polls for `status: {any_: ["ONLINE"]}`."""

    last_heartbeat_time: TimeCriteria | None = None
    status: WorkerStatusCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.last_heartbeat_time.clause(Worker.last_heartbeat_time)
            if self.last_heartbeat_time
            else None,
            self.status.clause(Worker.status) if self.status else None,
        ]


#: Work pools are listed by name, work queues by priority then name, workers newest first.
WORK_POOL_ORDER: list[ColumnElement[Any]] = [WorkPool.name.asc()]
WORK_QUEUE_ORDER: list[ColumnElement[Any]] = [WorkQueue.priority.asc(), WorkQueue.name.asc()]
WORKER_ORDER: list[ColumnElement[Any]] = [
    Worker.last_heartbeat_time.desc().nulls_last(),
    Worker.id.desc(),
]
