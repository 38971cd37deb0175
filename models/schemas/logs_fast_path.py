"""Queued log records checked as text: the ingest actors' fast path beside `LogRecord`.

The API validates each record with `LogRecord` and queues it as JSON with the id it gave
it. The ingest workers check tens of thousands of these a second; parsing UUIDs and
datetimes into objects, only to write them out as text again, cost more than SQLite's
insert of the row. So the usual shape (what the API writes) is checked with plain checks
and left as text, and anything else is handed to `LogRecord`, which gives the verdict: the
same values, or a ValueError with pydantic's reason. Either way a record leaves
with its timestamp as UTC text (`YYYY-MM-DDTHH:MM:SS.ffffff+00:00`) and its run ids as
text, which `models.db.dialect.prepare_log_insert` stores as they are.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final, NotRequired

from pydantic import ValidationError
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from models.schemas.logs import log_record

#: A UUID as text, with all its dashes or none: the API writes log ids without, run ids with.
UUID_TEXT: Final = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII,
)
#: Timestamps read without pydantic: ISO 8601 with an offset and at most microseconds.
#: Anything else (no offset, nanoseconds, a number) is left to `LogRecord` to judge.
PLAIN_TIMESTAMP: Final = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII
)
#: How the API's messages (orjson) write nearly every UTC time: kept as it is.
PLAIN_UTC: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", re.ASCII)
MIN_LEVEL: Final = -(2**31)
MAX_LEVEL: Final = 2**31 - 1


class IngestedLogRecord(TypedDict):
    """A checked record of an ingest message: `LogRecord`'s values as text, and its id."""

    id: str
    name: str
    level: int
    message: str
    #: UTC, written YYYY-MM-DDTHH:MM:SS.ffffff+00:00.
    timestamp: str
    flow_run_id: NotRequired[str | None]
    task_run_id: NotRequired[str | None]


class Unusual(Exception):
    """The record is not in the usual shape: `LogRecord` judges it instead."""


def check_queued_log_records(records: list[Any]) -> list[IngestedLogRecord]:
    """The records of an ingest message, checked; raises ValueError at the first bad one.

    Records are changed in place where a value needs rewriting (a timestamp not in UTC, a
    value `LogRecord` converts), so the usual batch costs no copy.
    """
    # A batch names few runs, each many times: each run id's text is matched once.
    run_ids: set[str] = set()
    for record in records:
        if type(record) is not dict:
            raise ValueError(f"A log record is a JSON object, not {type(record).__name__}.")
        record_id = record.get("id")
        if type(record_id) is not str or UUID_TEXT.fullmatch(record_id) is None:
            raise ValueError(f"Log record id {record_id!r} is not a UUID.")
        try:
            check_usual_record(record, run_ids)
        except Exception:  # whatever the plain checks did not expect, the schema judges
            record.update(judged_record(record))
    return records


def check_usual_record(record: dict[str, Any], run_ids: set[str]) -> None:
    """Check a record in the usual shape, putting its timestamp in UTC; raises otherwise."""
    name = record["name"]
    if type(name) is not str or len(name) > 255:
        raise Unusual
    level = record["level"]
    if type(level) is not int or not MIN_LEVEL <= level <= MAX_LEVEL:
        raise Unusual
    if type(record["message"]) is not str:
        raise Unusual
    timestamp = record["timestamp"]
    if type(timestamp) is not str:
        raise Unusual
    if PLAIN_UTC.fullmatch(timestamp) is not None:
        datetime.fromisoformat(timestamp)  # the digits make a real time: raises if not
    elif PLAIN_TIMESTAMP.fullmatch(timestamp) is not None:
        record["timestamp"] = as_utc_text(datetime.fromisoformat(timestamp))
    else:
        raise Unusual
    for key in ("flow_run_id", "task_run_id"):
        run_id = record.get(key)
        if run_id is None or run_id in run_ids:
            continue
        if type(run_id) is not str or UUID_TEXT.fullmatch(run_id) is None:
            raise Unusual
        run_ids.add(run_id)


def as_utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def judged_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record's values as `LogRecord` reads them, as text; raises ValueError with
    pydantic's reason."""
    try:
        checked = log_record.validate_python(record)
    except ValidationError as error:
        raise ValueError(f"Log record {record['id']} is refused: {error}") from None
    flow_run_id, task_run_id = checked.get("flow_run_id"), checked.get("task_run_id")
    return {
        "name": checked["name"],
        "level": checked["level"],
        "message": checked["message"],
        "timestamp": as_utc_text(checked["timestamp"]),
        "flow_run_id": None if flow_run_id is None else str(flow_run_id),
        "task_run_id": None if task_run_id is None else str(task_run_id),
    }
