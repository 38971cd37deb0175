"""The bodies of POST /api/<objects>/filter and /count, and the where-clauses they add up to.

A flow-run body may also filter on the run's flow, deployment, task runs, work pool and
work queue; each of those becomes `flow_run.<key> IN (SELECT ... WHERE ...)`. The other
bodies relate their objects the same way. Every clause works on SQLite and PostgreSQL:
`list_matching` and `count_matching` (models/filters/base.py) pass the session's dialect.
"""

from __future__ import annotations

from typing import Any

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
            WorkQueue.work_pool_id.in_(select(WorkPool.id).where(pools))
            if pools is not None
            else None,
        ],
    )


def flow_run_clause(
    dialect: str,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
    deployments: DeploymentFilter | None = None,
    work_pools: WorkPoolFilter | None = None,
    work_pool_queues: WorkQueueFilter | None = None,
) -> ColumnElement[bool] | None:
    """Every flow-run criterion of a body as one clause on `flow_run`; None when none."""
    of_flows = flows.clause(dialect) if flows else None
    of_deployments = deployments.clause(dialect) if deployments else None
    of_task_runs = task_runs.clause(dialect) if task_runs else None
    of_queues = work_queue_clause(dialect, work_pools, work_pool_queues)
    return combine(
        Operator.and_,
        [
            flow_runs.clause(dialect) if flow_runs else None,
            FlowRun.flow_id.in_(select(Flow.id).where(of_flows)) if of_flows is not None else None,
            FlowRun.deployment_id.in_(select(Deployment.id).where(of_deployments))
            if of_deployments is not None
            else None,
            # Runs with at least one task run that matches.
            FlowRun.id.in_(select(TaskRun.flow_run_id).where(of_task_runs))
            if of_task_runs is not None
            else None,
            FlowRun.work_queue_id.in_(select(WorkQueue.id).where(of_queues))
            if of_queues is not None
            else None,
        ],
    )


class FlowRunCountBody(FilterBody):
    """The body of POST /api/flow_runs/count."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None
    work_pool_queues: WorkQueueFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return as_where(
            flow_run_clause(
                dialect,
                self.flows,
                self.flow_runs,
                self.task_runs,
                self.deployments,
                self.work_pools,
                self.work_pool_queues,
            )
        )


class FlowRunFilterBody(FlowRunCountBody, Listing):
    """The body of POST /api/flow_runs/filter (the subflow lookup, the cancellation poll)."""

    sort: FlowRunSort = FlowRunSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class TaskRunCountBody(FilterBody):
    """The body of POST /api/task_runs/count."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        of_flow_runs = flow_run_clause(
            dialect, self.flows, self.flow_runs, deployments=self.deployments
        )
        return as_where(
            combine(
                Operator.and_,
                [
                    self.task_runs.clause(dialect) if self.task_runs else None,
                    TaskRun.flow_run_id.in_(select(FlowRun.id).where(of_flow_runs))
                    if of_flow_runs is not None
                    else None,
                ],
            )
        )


class TaskRunFilterBody(TaskRunCountBody, Listing):
    """The body of POST /api/task_runs/filter."""

    sort: TaskRunSort = TaskRunSort.ID_DESC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


class FlowCountBody(FilterBody):
    """The body of POST /api/flows/count."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        of_runs = flow_run_clause(dialect, flow_runs=self.flow_runs, task_runs=self.task_runs)
        of_deployments = deployment_clause(
            dialect, deployments=self.deployments, work_pools=self.work_pools
        )
        return as_where(
            combine(
                Operator.and_,
                [
                    self.flows.clause(dialect) if self.flows else None,
                    Flow.id.in_(select(FlowRun.flow_id).where(of_runs))
                    if of_runs is not None
                    else None,
                    Flow.id.in_(select(Deployment.flow_id).where(of_deployments))
                    if of_deployments is not None
                    else None,
                ],
            )
        )


class FlowFilterBody(FlowCountBody, Listing):
    """The body of POST /api/flows/filter."""

    sort: FlowSort = FlowSort.NAME_ASC

    def order_by(self) -> list[ColumnElement[Any]]:
        return self.sort.order_by()


def deployment_clause(
    dialect: str,
    flows: FlowFilter | None = None,
    flow_runs: FlowRunFilter | None = None,
    task_runs: TaskRunFilter | None = None,
    deployments: DeploymentFilter | None = None,
    work_pools: WorkPoolFilter | None = None,
    work_pool_queues: WorkQueueFilter | None = None,
) -> ColumnElement[bool] | None:
    """Every deployment criterion of a body as one clause on `deployment`; None when none."""
    of_flows = flows.clause(dialect) if flows else None
    of_runs = flow_run_clause(dialect, flow_runs=flow_runs, task_runs=task_runs)
    of_queues = work_queue_clause(dialect, work_pools, work_pool_queues)
    return combine(
        Operator.and_,
        [
            deployments.clause(dialect) if deployments else None,
            Deployment.flow_id.in_(select(Flow.id).where(of_flows))
            if of_flows is not None
            else None,
            Deployment.id.in_(select(FlowRun.deployment_id).where(of_runs))
            if of_runs is not None
            else None,
            Deployment.work_queue_id.in_(select(WorkQueue.id).where(of_queues))
            if of_queues is not None
            else None,
        ],
    )


class DeploymentCountBody(FilterBody):
    """The body of POST /api/deployments/count."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None
    work_pool_queues: WorkQueueFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        return as_where(
            deployment_clause(
                dialect,
                self.flows,
                self.flow_runs,
                self.task_runs,
                self.deployments,
                self.work_pools,
                self.work_pool_queues,
            )
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
