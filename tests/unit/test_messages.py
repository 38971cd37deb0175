"""Message payloads: what the API and the actors queue is exactly what earlier versions did."""

from __future__ import annotations

from uuid import UUID

import orjson
import pytest
from pydantic import ValidationError

from actors.broker import FastJSONEncoder
from models.db.dialect import prepare_log_insert
from models.messages.announcements import announcement, announcement_batch, may_be_subflow
from models.messages.event_batches import event_batch, queued_event
from models.messages.log_batches import number_log_records
from models.schemas.logs import log_batch, read_log_batch
from models.schemas.logs_fast_path import check_queued_log_records

FLOW_RUN = UUID("6b1f3c52-8f0e-4d7a-9c1b-2a3e4f5d6c7b")
STATE = UUID("0192f4a8-7c3e-7d21-9f6a-3b2c1d0e9f8a")
TASK_RUN = UUID("1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f")


def test_an_announcement_is_the_dict_earlier_versions_queued() -> None:
    assert announcement(FLOW_RUN, STATE, {"type": "PENDING"}, TASK_RUN) == {
        "flow_run_id": "6b1f3c52-8f0e-4d7a-9c1b-2a3e4f5d6c7b",
        "state_id": "0192f4a8-7c3e-7d21-9f6a-3b2c1d0e9f8a",
        "initial_state": {"type": "PENDING"},
        "parent_task_run_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    }
    assert announcement(FLOW_RUN, STATE, None, None)["parent_task_run_id"] is None


def test_an_announcement_that_does_not_name_the_parent_may_be_a_subflow() -> None:
    older = {"flow_run_id": str(FLOW_RUN), "state_id": str(STATE), "initial_state": None}
    [read] = announcement_batch.validate_python([older])
    assert "parent_task_run_id" not in read and may_be_subflow(read)
    assert may_be_subflow(announcement(FLOW_RUN, STATE, None, TASK_RUN))
    assert not may_be_subflow(announcement(FLOW_RUN, STATE, None, None))


def test_an_announcement_without_a_state_is_refused() -> None:
    with pytest.raises(ValidationError, match="state_id"):
        announcement_batch.validate_python([{"flow_run_id": str(FLOW_RUN), "initial_state": None}])


def test_each_log_record_gets_an_id_of_its_own_from_one_batch_uuid() -> None:
    records = log_batch.validate_python(
        [
            {"name": "x", "level": 20, "message": "a", "timestamp": "2026-11-25T18:00:00Z"},
            {"name": "x", "level": 20, "message": "b", "timestamp": "2026-11-25T18:00:01Z"},
        ]
    )
    first, second = number_log_records(records)
    assert first is records[0]  # numbered in place
    assert (first["id"][24:], second["id"][24:]) == ("00000000", "00000001")
    assert first["id"][:24] == second["id"][:24]
    assert UUID(first["id"]).version == 4


def test_a_queued_log_record_travels_as_the_json_earlier_versions_wrote() -> None:
    body = orjson.dumps(
        [{"name": "x", "level": 20, "message": "m", "timestamp": "2026-11-25T19:00:00.5+01:00",
          "flow_run_id": str(FLOW_RUN)}]
    )  # fmt: skip
    [record] = number_log_records(read_log_batch(body))
    wire = orjson.loads(FastJSONEncoder().encode({"args": [[record]]}))["args"][0]
    assert wire == [
        {
            "name": "x",
            "level": 20,
            "message": "m",
            "timestamp": "2026-11-25T19:00:00.500000+01:00",
            "flow_run_id": "6b1f3c52-8f0e-4d7a-9c1b-2a3e4f5d6c7b",
            "id": record["id"],
        }
    ]
    # What the actor receives is checked on its fast path and stored in UTC.
    insert = prepare_log_insert(check_queued_log_records(wire), "sqlite")
    assert insert.parameters[0][5] == "2026-11-25 18:00:00.500000"


def test_an_event_frame_travels_as_the_client_wrote_it() -> None:
    frame = (
        '{"id": "0192f4a8-7c3e-7d21-9f6a-3b2c1d0e9f8a", "occurred": "2026-11-25T18:00:00Z",'
        ' "event": "prefect.flow-run.heartbeat", "resource": {"prefect.resource.id": "x"}}'
    )
    encoded = FastJSONEncoder().encode({"args": [[queued_event(frame)]]})
    assert encoded == b'{"args":[[' + frame.encode() + b"]]}"
    [event] = event_batch.validate_python(orjson.loads(encoded)["args"][0])
    assert event.id == STATE
