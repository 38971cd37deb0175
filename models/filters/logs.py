"""Filters and sorts of log lines."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import Field
from sqlalchemy import ColumnElement, and_, func, or_

from models.filters.base import FilterModel, ObjectFilter
from models.filters.criteria import FilterText, IdCriteria, NumberCriteria, TimeCriteria
from models.filters.text_search import MAX_QUERY_LENGTH, parse_search_query
from models.runs.logs import Log

#: What a search reads of a log line: its message and its logger's name, in lower case.
#: No index serves it: a trigram index would be paid by every record ingested, and searches
#: come with a flow run, whose index narrows the lines first.
SEARCHED_TEXT: Final = func.lower(Log.message + " " + Log.name)


class LogTextCriteria(FilterModel):
    """A search of the log lines' text (the query language is `models.filters.text_search`)."""

    query: Annotated[FilterText, Field(max_length=MAX_QUERY_LENGTH)]

    def clauses(self) -> list[ColumnElement[bool] | None]:
        """One clause per kind of term, each combined by the log filter's operator (as
        Prefect does); none for a query without terms."""
        terms = parse_search_query(self.query)
        return [
            or_(*map(holds, terms.include)) if terms.include else None,
            and_(*(~holds(term) for term in terms.exclude)) if terms.exclude else None,
            and_(*map(holds, terms.required)) if terms.required else None,
        ]


def holds(term: str) -> ColumnElement[bool]:
    """The searched text holds `term`, in any case; % and _ in it are plain characters."""
    return SEARCHED_TEXT.contains(term.lower(), autoescape=True)


class LogFilter(ObjectFilter):
    """Criteria on log lines."""

    level: NumberCriteria | None = None
    timestamp: TimeCriteria | None = None
    flow_run_id: IdCriteria | None = None
    task_run_id: IdCriteria | None = None
    text: LogTextCriteria | None = None

    def clauses(self, dialect: str) -> list[ColumnElement[bool] | None]:
        return [
            self.level.clause(Log.level) if self.level else None,
            self.timestamp.clause(Log.timestamp) if self.timestamp else None,
            self.flow_run_id.clause(Log.flow_run_id) if self.flow_run_id else None,
            self.task_run_id.clause(Log.task_run_id) if self.task_run_id else None,
            *(self.text.clauses() if self.text else []),
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
