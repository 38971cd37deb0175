"""The bodies of POST /api/<objects>/filter and /count, and the where-clauses they add up to.

A flow-run body may also filter on the run's flow, deployment, task runs, work pool and
work queue; each of those becomes `flow_run.<key> IN (SELECT ... WHERE ...)`. The other
bodies relate their objects the same way. Every clause works on SQLite and PostgreSQL:
`list_matching` and `count_matching` (models/filters/base.py) pass the session's dialect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select, true

from models.coordination.deployments import Deployment
from models.coordination.work_pools import WorkPool, WorkQueue
from models.filters.base import FilterBody, Listing, Operator, combine
from models.filters.deployments import DeploymentFilter, DeploymentSort
from models.filters.flow_runs import FlowRunFilter, FlowRunSort
from models.filters.flows import FlowFilter, FlowSort
from models.filters.logs import LogFilter, LogSort
from models.filters.task_runs import TaskRunFilter, TaskRunSort
from models.filters.work_pools import (
    WORK_POOL_ORDER,
    WORK_QUEUE_ORDER,
    WORKER_ORDER,
    WorkerFilter,
    WorkPoolFilter,
    WorkQueueFilter,
)
from models.runs.flow_runs import FlowRun
from models.runs.flows import Flow
from models.runs.task_runs import TaskRun

if TYPE_CHECKING:
    from sqlalchemy.orm import InstrumentedAttribute


def as_where(clause: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return true() if clause is None else clause


def work_queue_clause(
    dialect: str,
    work_pools: WorkPoolFilter | None = None,
    work_pool_queues: WorkQueueFilter | None = None,
) -> ColumnElement[bool] | None:
    """Criteria on work queues, by their own fields and by their work pool's."""
    pools = work_pools.clause(dialect) if work_pools else None
    return combine(
        Operator.and_,
        [
            work_pool_queues.clause(dialect) if work_pool_queues else None,
            key_in_matching(WorkQueue.work_pool_id, WorkPool.id, pools),
        ],
    )


def key_in_matching(
    key: InstrumentedAttribute[Any],
    selected: InstrumentedAttribute[Any],
    clause: ColumnElement[bool] | None,
) -> ColumnElement[bool] | None:
    """`key IN (SELECT selected WHERE clause)`; None when there is no clause (no criteria)."""
    return key.in_(select(selected).where(clause)) if clause is not None else None


class RunRelatedBody(FilterBody):
    """A body with criteria on the flows, flow runs, task runs and deployments its objects
    relate to; each body adds the related objects' criteria it accepts, in this order."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        """Every criterion of the body as one clause on its objects; None when none."""
        raise NotImplementedError

    def where(self, dialect: str) -> ColumnElement[bool]:
        return as_where(self.clause(dialect))

    def flow_run_clause(self, dialect: str) -> ColumnElement[bool] | None:
        """The criteria on flows, flow runs and deployments as one clause on `flow_run`, for
        objects that belong to a flow run (task runs, artifacts); None when none."""
        return FlowRunCountBody.model_construct(
            flows=self.flows, flow_runs=self.flow_runs, deployments=self.deployments
        ).clause(dialect)


class PoolRelatedBody(RunRelatedBody):
    """A body that also takes criteria on work pools."""

    work_pools: WorkPoolFilter | None = None


class QueueRelatedBody(PoolRelatedBody):
    """A body that also takes criteria on work queues: every related object there is."""

    work_pool_queues: WorkQueueFilter | None = None


class FlowRunCountBody(QueueRelatedBody):
    """The body of POST /api/flow_runs/count."""

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        of_queues = work_queue_clause(dialect, self.work_pools, self.work_pool_queues)
        return combine(
            Operator.and_,
            [
                self.flow_runs.clause(dialect) if self.flow_runs else None,
                key_in_matching(
                    FlowRun.flow_id, Flow.id, self.flows.clause(dialect) if self.flows else None
                ),
                key_in_matching(
                    FlowRun.deployment_id,
                    Deployment.id,
                    self.deployments.clause(dialect) if self.deployments else None,
                ),
                # Runs with at least one task run that matches.
                key_in_matching(
                    FlowRun.id,
                    TaskRun.flow_run_id,
                    self.task_runs.clause(dialect) if self.task_runs else None,
                ),
                key_in_matching(FlowRun.work_queue_id, WorkQueue.id, of_queues),
            ],
        )


class FlowRunFilterBody(FlowRunCountBody, Listing):
    """The body of POST /api/flow_runs/filter (the subflow lookup, the cancellation poll)."""

    sort: FlowRunSort = FlowRunSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class TaskRunCountBody(RunRelatedBody):
    """The body of POST /api/task_runs/count."""

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        return combine(
            Operator.and_,
            [
                self.task_runs.clause(dialect) if self.task_runs else None,
                key_in_matching(TaskRun.flow_run_id, FlowRun.id, self.flow_run_clause(dialect)),
            ],
        )


class TaskRunFilterBody(TaskRunCountBody, Listing):
    """The body of POST /api/task_runs/filter."""

    sort: TaskRunSort = TaskRunSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class FlowCountBody(PoolRelatedBody):
    """The body of POST /api/flows/count."""

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        of_runs = FlowRunCountBody.model_construct(
            flow_runs=self.flow_runs, task_runs=self.task_runs
        ).clause(dialect)
        of_deployments = DeploymentCountBody.model_construct(
            deployments=self.deployments, work_pools=self.work_pools
        ).clause(dialect)
        return combine(
            Operator.and_,
            [
                self.flows.clause(dialect) if self.flows else None,
                key_in_matching(Flow.id, FlowRun.flow_id, of_runs),
                key_in_matching(Flow.id, Deployment.flow_id, of_deployments),
            ],
        )


class FlowFilterBody(FlowCountBody, Listing):
    """The body of POST /api/flows/filter."""

    sort: FlowSort = FlowSort.NAME_ASC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class DeploymentCountBody(QueueRelatedBody):
    """The body of POST /api/deployments/count."""

    def clause(self, dialect: str) -> ColumnElement[bool] | None:
        of_runs = FlowRunCountBody.model_construct(
            flow_runs=self.flow_runs, task_runs=self.task_runs
        ).clause(dialect)
        of_queues = work_queue_clause(dialect, self.work_pools, self.work_pool_queues)
        return combine(
            Operator.and_,
            [
                self.deployments.clause(dialect) if self.deployments else None,
                key_in_matching(
                    Deployment.flow_id, Flow.id, self.flows.clause(dialect) if self.flows else None
                ),
                key_in_matching(Deployment.id, FlowRun.deployment_id, of_runs),
                key_in_matching(Deployment.work_queue_id, WorkQueue.id, of_queues),
            ],
        )


class DeploymentFilterBody(DeploymentCountBody, Listing):
    """The body of POST /api/deployments/filter."""

    sort: DeploymentSort = DeploymentSort.NAME_ASC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class LogFilterBody(Listing):
    """The body of POST /api/logs/filter; log lines relate to no other filtered object."""

    logs: LogFilter | None = None
    sort: LogSort = LogSort.TIMESTAMP_ASC

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.logs.where(dialect) if self.logs else true()

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class WorkPoolFilterBody(Listing):
    """The body of POST /api/work_pools/filter."""

    work_pools: WorkPoolFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.work_pools.where(dialect) if self.work_pools else true()

    def order_by(self) -> list[ColumnElement[Any]]:
        return WORK_POOL_ORDER


class WorkQueueFilterBody(Listing):
    """The body of POST /api/work_pools/{name}/queues/filter; the route adds the pool."""

    work_queues: WorkQueueFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.work_queues.where(dialect) if self.work_queues else true()

    def order_by(self) -> list[ColumnElement[Any]]:
        return WORK_QUEUE_ORDER


class WorkerFilterBody(Listing):
    """The body of POST /api/work_pools/{name}/workers/filter; the route adds the pool."""

    workers: WorkerFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.workers.where(dialect) if self.workers else true()

    def order_by(self) -> list[ColumnElement[Any]]:
        return WORKER_ORDER
