"""Queued log records checked as text give exactly what `LogRecord` gives, or its verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from pydantic import ValidationError

from models.schemas.logs import log_batch
from models.schemas.logs_fast_path import check_queued_log_records

FLOW_RUN_ID = "b4bc1492-7fd9-4f75-ae9e-ac258f4381ca"


def client_record() -> dict[str, Any]:
    return {
        "name": "prefect.flow_runs",
        "level": 20,
        "message": "flow starting",
        "timestamp": "2026-11-25T18:01:44.782553+00:00",
        "flow_run_id": FLOW_RUN_ID,
        "task_run_id": None,
    }


CHANGES: dict[str, dict[str, Any]] = {
    "as sent": {},
    "timestamp in Z": {"timestamp": "2026-11-25T18:01:44.782553Z"},
    "timestamp without fraction": {"timestamp": "2026-11-25T18:01:44+00:00"},
    "timestamp with a short fraction": {"timestamp": "2026-11-25T18:01:44.5+00:00"},
    "timestamp in another zone": {"timestamp": "2026-11-25T23:31:44.782553+05:30"},
    "timestamp with nanoseconds": {"timestamp": "2026-11-25T18:01:44.782553123+00:00"},
    "timestamp with a space": {"timestamp": "2026-11-25 18:01:44.782553+00:00"},
    "timestamp in lower case": {"timestamp": "2026-11-25t18:01:44.782553z"},
    "timestamp as a number": {"timestamp": 1764093704.5},
    "timestamp as digits": {"timestamp": "1764093704"},
    "timestamp without offset": {"timestamp": "2026-11-25T18:01:44.782553"},
    "timestamp in basic format": {"timestamp": "20261125T180144Z"},
    "timestamp with an hour offset": {"timestamp": "2026-11-25T18:01:44+05"},
    "timestamp not a day": {"timestamp": "2026-02-30T18:01:44.782553+00:00"},
    "timestamp a date": {"timestamp": "2026-11-25"},
    "timestamp null": {"timestamp": None},
    "no timestamp": {"timestamp": ...},
    "level as text": {"level": "30"},
    "level as a whole float": {"level": 30.0},
    "level a fraction": {"level": 30.5},
    "level true": {"level": True},
    "level past 32 bits": {"level": 2**31},
    "level at the 32-bit floor": {"level": -(2**31)},
    "no level": {"level": ...},
    "name of 255 characters": {"name": "n" * 255},
    "name of 256 characters": {"name": "n" * 256},
    "name a number": {"name": 7},
    "name null": {"name": None},
    "message a number": {"message": 7},
    "message empty": {"message": ""},
    "no message": {"message": ...},
    "flow run id without hyphens": {"flow_run_id": FLOW_RUN_ID.replace("-", "")},
    "flow run id in capitals": {"flow_run_id": FLOW_RUN_ID.upper()},
    "flow run id as a urn": {"flow_run_id": f"urn:uuid:{FLOW_RUN_ID}"},
    "flow run id in braces": {"flow_run_id": f"{{{FLOW_RUN_ID}}}"},
    "flow run id not a uuid": {"flow_run_id": "not-a-uuid"},
    "flow run id a number": {"flow_run_id": 12},
    "no flow run id": {"flow_run_id": ...},
    "task run id given": {"task_run_id": "01a213de-e67c-7be0-b238-438d73e40090"},
    "task run id half hyphenated": {"task_run_id": "01a213dee67c7be0-b238-438d73e40090"},
    "an unknown key": {"color": "red"},
}


def changed(change: dict[str, Any]) -> dict[str, Any]:
    record = client_record()
    for key, value in change.items():
        if value is ...:
            record.pop(key)
        else:
            record[key] = value
    return record


def as_uuid(value: UUID | str | None) -> UUID | None:
    return None if value is None else UUID(str(value))


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_queued_record_is_checked_as_the_api_checks_it(change: dict[str, Any]) -> None:
    record = changed(change)
    try:
        [expected] = log_batch.validate_json(orjson.dumps([record]))  # as the API reads it
    except ValidationError:
        with pytest.raises(ValueError, match="is refused"):
            check_queued_log_records([record | {"id": uuid4().hex}])
        return
    [checked] = check_queued_log_records([record | {"id": uuid4().hex}])
    assert checked["name"] == expected["name"]
    assert checked["level"] == expected["level"] and type(checked["level"]) is int
    assert checked["message"] == expected["message"]
    assert datetime.fromisoformat(checked["timestamp"]) == expected["timestamp"]
    for key in ("flow_run_id", "task_run_id"):
        assert as_uuid(checked.get(key)) == expected.get(key)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_checked_timestamp_is_utc_text_with_microseconds(change: dict[str, Any]) -> None:
    try:
        [checked] = check_queued_log_records([changed(change) | {"id": uuid4().hex}])
    except ValueError:
        return
    text = checked["timestamp"]
    assert len(text) == 32 and text.endswith("+00:00")
    assert datetime.fromisoformat(text).utcoffset() == UTC.utcoffset(None)


def test_what_the_api_queues_is_read_in_the_usual_shape_as_it_is() -> None:
    record = orjson.loads(orjson.dumps(log_batch.validate_json(orjson.dumps([client_record()]))))
    queued = [record[0] | {"id": uuid4().hex}]
    assert check_queued_log_records(queued) == queued


@pytest.mark.parametrize("record_id", [None, 12, "not-a-uuid", f"{uuid4().hex}0"])
def test_a_record_without_the_id_the_api_gives_is_refused(record_id: Any) -> None:
    with pytest.raises(ValueError, match="id"):
        check_queued_log_records([client_record() | {"id": record_id}])


def test_a_record_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        check_queued_log_records(["a log line"])
