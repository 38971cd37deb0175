"""Filters and sorts of log lines."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement

from models.filters.base import ObjectFilter
from models.filters.criteria import IdCriteria, NumberCriteria, TimeCriteria
from models.runs.logs import Log


class LogFilter(ObjectFilter):
    """Criteria on log lines."""

    level: NumberCriteria | None = None
    timestamp: TimeCriteria | None = None
    flow_run_id: IdCriteria | None = None
    task_run_id: IdCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.level.clause(Log.level) if self.level else None,
            self.timestamp.clause(Log.timestamp) if self.timestamp else None,
            self.flow_run_id.clause(Log.flow_run_id) if self.flow_run_id else None,
            self.task_run_id.clause(Log.task_run_id) if self.task_run_id else None,
        ]


class LogSort(StrEnum):
    """The orders log lines can be listed in."""

    TIMESTAMP_ASC = "TIMESTAMP_ASC"
    TIMESTAMP_DESC = "TIMESTAMP_DESC"

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY terms; the id breaks ties so that pages never overlap."""
        if self is LogSort.TIMESTAMP_ASC:
            return [Log.timestamp.asc(), Log.id.asc()]
        return [Log.timestamp.desc(), Log.id.desc()]
