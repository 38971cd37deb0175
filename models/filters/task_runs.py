"""Filters and sorts of task runs (the `task_runs` part of a filter body)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, case, select

from models.db.dialect import seconds_since
from models.filters.base import FilterModel, ObjectFilter, Operator, combine
from models.filters.criteria import (
    IdCriteria,
    StateCriteria,
    TagsCriteria,
    TextCriteria,
    TimeCriteria,
)
from models.runs.flow_runs import FlowRun
from models.runs.task_runs import TaskRun
from models.states import StateType


class TaskRunFlowRunCriteria(IdCriteria):
    """The flow run a task run belongs to.

    As in Prefect, `is_null_` defaults to False: `{}` means "task runs of some flow run",
    which leaves out background tasks. Prefect reads the criteria as one choice rather than
    clauses to combine (so `operator` changes nothing): `is_null_: true` alone, else `any_`,
    else "of some flow run".
    """

    is_null_: bool | None = False

    def clause(self, column: SQLColumnExpression[Any]) -> ColumnElement[bool] | None:
        if self.is_null_:
            return column.is_(None)
        chosen = combine(
            Operator.and_,
            [
                column.in_(self.any_) if self.any_ is not None else None,
                column.not_in(self.not_any_) if self.not_any_ is not None else None,
            ],
        )
        if chosen is None and self.is_null_ is False:
            return column.is_not(None)
        return chosen


class SubflowRunsCriteria(FilterModel):
    """Whether a task run is the placeholder of a subflow run."""

    exists_: bool | None = None

    def clause(self) -> ColumnElement[bool] | None:
        if self.exists_ is None:
            return None
        placeholders = select(FlowRun.parent_task_run_id).where(
            FlowRun.parent_task_run_id.is_not(None)
        )
        is_placeholder = TaskRun.id.in_(placeholders)
        return is_placeholder if self.exists_ else ~is_placeholder


class TaskRunFilter(ObjectFilter):
    """Criteria on task runs; state criteria read the current state copied onto the run."""

    id: IdCriteria | None = None
    name: TextCriteria | None = None
    tags: TagsCriteria | None = None
    state: StateCriteria | None = None
    start_time: TimeCriteria | None = None
    end_time: TimeCriteria | None = None
    expected_start_time: TimeCriteria | None = None
    subflow_runs: SubflowRunsCriteria | None = None
    flow_run_id: TaskRunFlowRunCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(TaskRun.id) if self.id else None,
            self.name.clause(TaskRun.name) if self.name else None,
            self.tags.clause(TaskRun.tags, dialect) if self.tags else None,
            self.state.clause(TaskRun.state_type, TaskRun.state_name) if self.state else None,
            self.start_time.clause(TaskRun.start_time) if self.start_time else None,
            self.end_time.clause(TaskRun.end_time) if self.end_time else None,
            self.expected_start_time.clause(TaskRun.expected_start_time)
            if self.expected_start_time
            else None,
            self.subflow_runs.clause() if self.subflow_runs else None,
            self.flow_run_id.clause(TaskRun.flow_run_id) if self.flow_run_id else None,
        ]


class TaskRunSort(StrEnum):
    """The orders task runs can be listed in; a missing time sorts as the smallest value."""

    ID_DESC = "ID_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"
    #: By how long the run has run: its total, plus the time since it entered RUNNING while
    #: it runs; ties go to the latest expected start, as in Prefect.
    DURATION_DESC = "DURATION_DESC"
    DURATION_ASC = "DURATION_ASC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        if self is TaskRunSort.ID_DESC:
            return [TASK_RUN_ORDER[self]]
        if self in (TaskRunSort.DURATION_DESC, TaskRunSort.DURATION_ASC):
            duration = (
                RUN_DURATION.desc() if self is TaskRunSort.DURATION_DESC else RUN_DURATION.asc()
            )
            return [duration, TaskRun.expected_start_time.desc().nulls_last(), TaskRun.id.desc()]
        return [TASK_RUN_ORDER[self], TaskRun.id.desc()]


#: Seconds a task run has run so far (Prefect's estimated run time).
RUN_DURATION = TaskRun.total_run_time_seconds + case(
    (TaskRun.state_type == StateType.RUNNING, seconds_since(TaskRun.state_timestamp)),
    else_=0.0,
)


TASK_RUN_ORDER: dict[TaskRunSort, ColumnElement[Any]] = {
    TaskRunSort.ID_DESC: TaskRun.id.desc(),
    TaskRunSort.EXPECTED_START_TIME_ASC: TaskRun.expected_start_time.asc().nulls_first(),
    TaskRunSort.EXPECTED_START_TIME_DESC: TaskRun.expected_start_time.desc().nulls_last(),
    TaskRunSort.NAME_ASC: TaskRun.name.asc(),
    TaskRunSort.NAME_DESC: TaskRun.name.desc(),
    TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC: (
        TaskRun.next_scheduled_start_time.asc().nulls_first()
    ),
    TaskRunSort.END_TIME_DESC: TaskRun.end_time.desc().nulls_last(),
}
