"""The flow-run listing: one SELECT, and its rows as the JSON values every client reads.

POST /api/flow_runs/filter answers with up to 200 runs. Turning each value into a Python
object (a UUID, an aware datetime, a decoded dict) and validating a `FlowRunResponse` per
row, only to write it all out as JSON again, cost several times the query itself. So the
database hands over the values as the text the answer needs (ids with dashes, times in
pydantic's format, JSON as stored), and the listing writes them out as they are, in
`FlowRunResponse`'s field order. The listing's tests check that both ways give the same JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

import orjson
from sqlalchemy import JSON, Enum, Select, String, Text, Uuid, cast, select, type_coerce

from models.db.dialect import utc_text, uuid_text
from models.db.types import UtcDateTime
from models.runs.flow_runs import FlowRun, FlowRunState, count_flow_runs
from models.schemas.flow_runs import (
    FlowRunPolicy,
    estimated_run_time,
    estimated_start_time_delta,
)
from models.schemas.states import STATE_DETAILS_DEFAULTS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Row
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql.elements import ColumnElement, KeyedColumnElement

    from models.filters.bodies import FlowRunFilterBody
    from models.schemas.pagination import FlowRunPageBody


def as_written(column: KeyedColumnElement[Any]) -> ColumnElement[Any]:
    """The column as the text of its JSON value (or as it is, for strings and numbers)."""
    if isinstance(column.type, Uuid):
        return uuid_text(column).label(column.name)
    if isinstance(column.type, UtcDateTime):
        return utc_text(column).label(column.name)
    if isinstance(column.type, JSON):
        return cast(column, Text).label(column.name)
    if isinstance(column.type, Enum):  # its value is the text; no enum member is needed
        return type_coerce(column, String()).label(column.name)
    return column


_runs = FlowRun.__table__
_states = FlowRunState.__table__

#: The run's columns in `FlowRunResponse`'s field order (`listed_flow_run` unpacks them so),
#: then the parts of the current state that the run row does not carry.
LISTED_COLUMNS: Final = (
    *(
        _runs.c[name]
        for name in (
            "id", "created", "updated", "name", "flow_id", "state_id", "deployment_id",
            "deployment_version", "work_queue_id", "work_queue_name", "flow_version",
            "parameters", "idempotency_key", "context", "empirical_policy", "tags", "labels",
            "parent_task_run_id", "state_type", "state_name", "run_count",
            "expected_start_time", "next_scheduled_start_time", "start_time", "end_time",
            "total_run_time_seconds", "auto_scheduled", "infrastructure_document_id",
            "infrastructure_pid", "created_by", "work_pool_id", "work_pool_name",
            "job_variables", "state_timestamp",
        )
    ),
    _states.c.message,
    _states.c.state_details,
    _states.c.data,
)  # fmt: skip

#: Every listed flow run with its current state, before filters, order and page.
FLOW_RUN_LISTING: Final[Select[Any]] = select(*map(as_written, LISTED_COLUMNS)).outerjoin(
    _states, _states.c.id == _runs.c.state_id
)


async def filter_flow_runs(session: AsyncSession, body: FlowRunFilterBody) -> Sequence[Row[Any]]:
    """The rows of FLOW_RUN_LISTING matching a filter body, sorted and paged.

    Turn them into answers with `listed_flow_run` once the session is closed: the
    connection goes back to the pool before the CPU work starts. A page past the first (an
    offset) is found ids first: the runs it skips are then sorted as ids, not read whole,
    which made page 200 of a million runs 3-8 times faster (docs/performance.md, "Web UI
    pages").
    """
    if body.skipped():
        return await filter_flow_runs_ids_first(session, body)
    # Core on the session's connection: plain rows, none of the ORM's bookkeeping.
    connection = await session.connection()
    listing = body.apply(FLOW_RUN_LISTING, connection.dialect.name)
    return (await connection.execute(listing)).all()


async def filter_flow_runs_ids_first(
    session: AsyncSession, body: FlowRunFilterBody
) -> Sequence[Row[Any]]:
    """The rows `filter_flow_runs` answers, found in two steps: the page's ids, filtered and
    sorted on their own, then those runs' rows whole.

    For a filter that matches many runs in an order no index of the filter gives (a flow's
    runs by expected start): the database sorts thousands of ids instead of thousands of
    whole rows, which costs several times less.
    """
    connection = await session.connection()
    page_ids = body.apply(select(_runs.c.id), connection.dialect.name).subquery()
    listing = FLOW_RUN_LISTING.where(_runs.c.id.in_(select(page_ids.c.id))).order_by(
        *body.order_by()
    )
    return (await connection.execute(listing)).all()


async def paginate_flow_runs(
    session: AsyncSession, body: FlowRunPageBody
) -> tuple[Sequence[Row[Any]], int]:
    """One page of FLOW_RUN_LISTING's rows (see `filter_flow_runs`) and how many match."""
    return await filter_flow_runs(session, body), await count_flow_runs(session, body)


def listed_flow_run(row: Any, now: datetime) -> dict[str, Any]:
    """One row of FLOW_RUN_LISTING as the JSON value of a `FlowRunResponse`."""
    # By position: reading forty values by name costs as much as the rest of this function.
    (
        id_, created, updated, name, flow_id, state_id, deployment_id, deployment_version,
        work_queue_id, work_queue_name, flow_version, parameters, idempotency_key, context,
        empirical_policy, tags, labels, parent_task_run_id, state_type, state_name, run_count,
        expected_start_time, next_scheduled_start_time, start_time, end_time,
        total_run_time_seconds, auto_scheduled, infrastructure_document_id, infrastructure_pid,
        created_by, work_pool_id, work_pool_name, job_variables, state_timestamp,
        state_message, state_details, state_data,
    ) = row  # fmt: skip
    state = None
    if state_id is not None and state_type is not None:
        details = STATE_DETAILS_DEFAULTS | (decoded(state_details) or {})
        if details["flow_run_id"] is None:
            details["flow_run_id"] = id_
        state = {
            "id": state_id,
            "type": state_type,
            "name": state_name,
            "timestamp": state_timestamp,
            "message": state_message,
            "data": stored_json(state_data),
            "state_details": details,
        }
    return {
        "id": id_,
        "created": created,
        "updated": updated,
        "name": name,
        "flow_id": flow_id,
        "state_id": state_id,
        "deployment_id": deployment_id,
        "deployment_version": deployment_version,
        "work_queue_id": work_queue_id,
        "work_queue_name": work_queue_name,
        "flow_version": flow_version,
        "parameters": stored_json(parameters),
        "idempotency_key": idempotency_key,
        "context": stored_json(context),
        "empirical_policy": flow_run_policy(empirical_policy),
        "tags": stored_json(tags),
        "labels": stored_json(labels),
        "parent_task_run_id": parent_task_run_id,
        "state_type": state_type,
        "state_name": state_name,
        "run_count": run_count,
        "expected_start_time": expected_start_time,
        "next_scheduled_start_time": next_scheduled_start_time,
        "start_time": start_time,
        "end_time": end_time,
        "total_run_time": float(total_run_time_seconds),
        "estimated_run_time": estimated_run_time(
            state_type, parsed(state_timestamp), total_run_time_seconds, now
        ),
        "estimated_start_time_delta": estimated_start_time_delta(
            state_type, parsed(expected_start_time), parsed(start_time), now
        ),
        "auto_scheduled": auto_scheduled,
        "infrastructure_document_id": infrastructure_document_id,
        "infrastructure_pid": infrastructure_pid,
        "created_by": stored_json(created_by),
        "work_pool_id": work_pool_id,
        "work_pool_name": work_pool_name,
        "state": state,
        "job_variables": stored_json(job_variables),
    }


def parsed(written: str | None) -> datetime | None:
    return None if written is None else datetime.fromisoformat(written)


def stored_json(text: str | None) -> Any:
    """Stored JSON text, to be written into the answer unchanged."""
    if text is None:
        return None
    # Python's json module writes NaN and Infinity, which are not JSON; pydantic answers
    # them as null, and so does orjson once they are decoded.
    if "NaN" in text or "Infinity" in text:
        return json.loads(text)
    return orjson.Fragment(text)


def decoded(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or Infinity, written by Python's json module
        return json.loads(text)


@lru_cache(maxsize=256)
def flow_run_policy(text: str | None) -> orjson.Fragment:
    """A stored retry policy with every field and the deprecated spellings read.

    Runs share a handful of policies, so each distinct one is validated once.
    """
    policy = decoded(text) or {}
    return orjson.Fragment(FlowRunPolicy.model_validate(policy).model_dump_json())
