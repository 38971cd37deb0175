"""Filters and sorts of flow runs (the `flow_runs` part of a filter body)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, select

from models.filters.base import FilterModel, ObjectFilter, Operator, combine
from models.filters.criteria import (
    FilterText,
    IdCriteria,
    StateCriteria,
    TagsCriteria,
    TextCriteria,
    TimeCriteria,
    null_clause,
    values_field,
)
from models.runs.flow_run_name_index import name_index_clause
from models.runs.flow_runs import FlowRun
from models.runs.task_runs import TaskRun


class ParentFlowRunCriteria(FilterModel):
    """Subflow runs of the given flow runs (through their parent task runs)."""

    operator: Operator = Operator.and_
    any_: list[UUID] | None = values_field()

    def clause(self) -> ColumnElement[bool] | None:
        if self.any_ is None:
            return None
        parent_task_runs = select(TaskRun.id).where(TaskRun.flow_run_id.in_(self.any_))
        return FlowRun.parent_task_run_id.in_(parent_task_runs)


class CreatedByCriteria(FilterModel):
    """Who created the run: `created_by` is `{"id", "type", "display_value"}` or null.

    `is_null_`: the run has no creator. A creator always has a type, and reading the type
    finds none whether the column is SQL NULL or JSON null.
    """

    operator: Operator = Operator.and_
    id_: list[UUID] | None = values_field()
    type_: list[FilterText] | None = values_field()
    is_null_: bool | None = None

    def clause(self) -> ColumnElement[bool] | None:
        creator = FlowRun.created_by
        return combine(
            self.operator,
            [
                creator["id"].as_string().in_([str(id_) for id_ in self.id_])
                if self.id_ is not None
                else None,
                creator["type"].as_string().in_(self.type_) if self.type_ is not None else None,
                null_clause(creator["type"].as_string(), self.is_null_),
            ],
        )


class FlowRunFilter(ObjectFilter):
    """Criteria on flow runs; state criteria read the current state copied onto the run."""

    id: IdCriteria | None = None
    name: TextCriteria | None = None
    tags: TagsCriteria | None = None
    deployment_id: IdCriteria | None = None
    work_queue_name: TextCriteria | None = None
    state: StateCriteria | None = None
    flow_version: TextCriteria | None = None
    #: A run that has not started counts as starting when it is expected to (Prefect's rule).
    start_time: TimeCriteria | None = None
    end_time: TimeCriteria | None = None
    expected_start_time: TimeCriteria | None = None
    next_scheduled_start_time: TimeCriteria | None = None
    parent_flow_run_id: ParentFlowRunCriteria | None = None
    parent_task_run_id: IdCriteria | None = None
    idempotency_key: TextCriteria | None = None
    created_by: CreatedByCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.id.clause(FlowRun.id) if self.id else None,
            self.name.clause(
                FlowRun.name, like_narrowed_by=name_index_clause(self.name.like_, dialect)
            )
            if self.name
            else None,
            self.tags.clause(FlowRun.tags, dialect) if self.tags else None,
            self.deployment_id.clause(FlowRun.deployment_id) if self.deployment_id else None,
            self.work_queue_name.clause(FlowRun.work_queue_name) if self.work_queue_name else None,
            self.state.clause(FlowRun.state_type, FlowRun.state_name) if self.state else None,
            self.flow_version.clause(FlowRun.flow_version) if self.flow_version else None,
            self.start_time.clause_on(STARTED, FlowRun.start_time) if self.start_time else None,
            self.end_time.clause(FlowRun.end_time) if self.end_time else None,
            self.expected_start_time.clause(FlowRun.expected_start_time)
            if self.expected_start_time
            else None,
            self.next_scheduled_start_time.clause(FlowRun.next_scheduled_start_time)
            if self.next_scheduled_start_time
            else None,
            self.parent_flow_run_id.clause() if self.parent_flow_run_id else None,
            self.parent_task_run_id.clause(FlowRun.parent_task_run_id)
            if self.parent_task_run_id
            else None,
            self.idempotency_key.clause(FlowRun.idempotency_key) if self.idempotency_key else None,
            self.created_by.clause() if self.created_by else None,
        ]


class FlowRunSort(StrEnum):
    """The orders flow runs can be listed in.

    A missing time sorts as the smallest value on both databases (SQLite's own order):
    first when ascending, last when descending.
    """

    ID_DESC = "ID_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    START_TIME_DESC = "START_TIME_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        term = FLOW_RUN_ORDER[self]
        return [term] if self is FlowRunSort.ID_DESC else [term, FlowRun.id.desc()]


#: When a flow run starts, or is expected to while it has not (Prefect's START_TIME sorts).
STARTED = func.coalesce(FlowRun.start_time, FlowRun.expected_start_time)

FLOW_RUN_ORDER: dict[FlowRunSort, ColumnElement[Any]] = {
    FlowRunSort.ID_DESC: FlowRun.id.desc(),
    FlowRunSort.START_TIME_ASC: STARTED.asc().nulls_first(),
    FlowRunSort.START_TIME_DESC: STARTED.desc().nulls_last(),
    FlowRunSort.EXPECTED_START_TIME_ASC: FlowRun.expected_start_time.asc().nulls_first(),
    FlowRunSort.EXPECTED_START_TIME_DESC: FlowRun.expected_start_time.desc().nulls_last(),
    FlowRunSort.NAME_ASC: FlowRun.name.asc(),
    FlowRunSort.NAME_DESC: FlowRun.name.desc(),
    FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC: (
        FlowRun.next_scheduled_start_time.asc().nulls_first()
    ),
    FlowRunSort.END_TIME_DESC: FlowRun.end_time.desc().nulls_last(),
}
