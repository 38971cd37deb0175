"""The wire schemas against real Prefect 3.9.1 traffic (bodies copied from shared/prefect/traces).

Requests the client sent must parse; responses built from rows must have the shape the
reference server answered with, field for field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
import pytest
from pydantic import ValidationError

from models.errors import InvalidRequest
from models.filters.bodies import FlowRunFilterBody, LogFilterBody, TaskRunFilterBody
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.task_runs import TaskRun, TaskRunState
from models.schemas.events import Event, is_task_run_state_event
from models.schemas.flow_runs import (
    DeploymentFlowRunCreate,
    FlowRunCreate,
    FlowRunResponse,
    FlowRunUpdate,
)
from models.schemas.flows import FlowCreate, FlowResponse
from models.schemas.logs import MAX_LOG_BATCH, MAX_LOG_MESSAGE_CHARS, read_log_batch
from models.schemas.states import (
    OrchestrationResultResponse,
    RejectDetails,
    SetStateRequest,
    SetStateStatus,
    StateCreate,
    StateResponse,
)
from models.schemas.task_run_events import TaskRunStateEvent, task_run_state_rows
from models.schemas.task_runs import TaskRunCreate, TaskRunResponse
from models.states import StateType


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# a_basic: POST /api/flow_runs/
CREATE_FLOW_RUN = """{"state": {"type": "PENDING", "name": "Pending", "message": null,
"state_details": {"traceparent": null}, "data": null}, "name": null,
"flow_id": "ec3de7ce-f1df-4b18-a9f8-32f236a72c7f",
"flow_version": "c5afbb11d3d4e2b50e8cb94e69ba1fea",
"parameters": {"a": 1, "b": 2}, "context": {}, "parent_task_run_id": null,
"empirical_policy": {"retries": 0, "retry_delay": 0}, "tags": []}"""

# g_serve: POST /api/deployments/{id}/create_flow_run
CREATE_DEPLOYMENT_FLOW_RUN = """{"state": {"type": "SCHEDULED", "name": "Scheduled",
"message": null, "state_details": {"scheduled_time": "2026-11-25T18:04:24.657865Z",
"traceparent": null}, "data": null}, "name": null, "parameters": {"x": 7}, "context": {},
"tags": [], "idempotency_key": null, "parent_task_run_id": null, "job_variables": null,
"labels": {}}"""

# a_basic: GET /api/flow_runs/{id} right after RUNNING
FLOW_RUN_RESPONSE = """{"id": "b4bc1492-7fd9-4f75-ae9e-ac258f4381ca",
"created": "2026-11-25T18:01:44.668211Z", "updated": "2026-11-25T18:01:44.713000Z",
"name": "accomplished-angelfish", "flow_id": "ec3de7ce-f1df-4b18-a9f8-32f236a72c7f",
"state_id": "01a213de-e5fc-7567-bb01-4e95b452f0ba", "deployment_id": null,
"deployment_version": null, "work_queue_id": null, "work_queue_name": null,
"flow_version": "c5afbb11d3d4e2b50e8cb94e69ba1fea", "parameters": {"a": 1, "b": 2},
"idempotency_key": null, "context": {}, "empirical_policy": {"max_retries": 0,
"retry_delay_seconds": 0.0, "retries": 0, "retry_delay": 0, "pause_keys": [],
"resuming": false, "retry_type": null}, "tags": [],
"labels": {"prefect.flow.id": "ec3de7ce-f1df-4b18-a9f8-32f236a72c7f"},
"parent_task_run_id": null, "state_type": "RUNNING", "state_name": "Running", "run_count": 1,
"expected_start_time": "2026-11-25T18:01:44.667968Z", "next_scheduled_start_time": null,
"start_time": "2026-11-25T18:01:44.700621Z", "end_time": null, "total_run_time": 0.0,
"estimated_run_time": 0.026142, "estimated_start_time_delta": 0.032653,
"auto_scheduled": false, "infrastructure_document_id": null, "infrastructure_pid": null,
"created_by": null, "work_pool_id": null, "work_pool_name": null,
"state": {"id": "01a213de-e5fc-7567-bb01-4e95b452f0ba", "type": "RUNNING", "name": "Running",
"timestamp": "2026-11-25T18:01:44.700621Z", "message": null, "data": null,
"state_details": {"flow_run_id": "b4bc1492-7fd9-4f75-ae9e-ac258f4381ca", "task_run_id": null,
"child_flow_run_id": null, "scheduled_time": null, "cache_key": null, "cache_expiration": null,
"deferred": null, "untrackable_result": false, "pause_timeout": null,
"pause_reschedule": false, "pause_key": null, "run_input_keyset": null, "refresh_cache": null,
"retriable": null, "transition_id": "77e1e140-681c-4801-9fa9-7aa4792eac3f",
"task_parameters_id": null, "traceparent": null, "deployment_concurrency_lease_id": null}},
"job_variables": {}}"""

# k_subflow: POST /api/task_runs/ (a subflow's placeholder) and its answer
CREATE_TASK_RUN = """{"state": {"type": "PENDING", "name": "Pending", "message": null,
"state_details": {"flow_run_id": null, "task_run_id": null, "child_flow_run_id": null,
"scheduled_time": null, "cache_key": null, "cache_expiration": null, "deferred": null,
"untrackable_result": false, "pause_timeout": null, "pause_reschedule": false,
"pause_key": null, "run_input_keyset": null, "refresh_cache": null, "retriable": null,
"transition_id": null, "task_parameters_id": null, "traceparent": null,
"deployment_concurrency_lease_id": null}, "data": null}, "name": "scenario-k-child-0",
"flow_run_id": "897bb514-fbbc-4872-99af-4477d4102619", "task_key": "child-afa6e00c",
"dynamic_key": "0", "cache_key": null, "cache_expiration": null,
"task_version": "a806d3d58cff3ccba7a7fc604a5c5094", "empirical_policy": {"max_retries": 0,
"retry_delay_seconds": 0.0, "retries": 0, "retry_delay": 0, "retry_jitter_factor": null},
"tags": [], "labels": {}, "task_inputs": {"x": []}}"""

TASK_RUN_RESPONSE = """{"id": "6b03eb4d-4f59-4d4c-b3cc-d7c1d2874aae",
"created": "2026-11-25T18:10:16.558257Z", "updated": "2026-11-25T18:10:16.597000Z",
"name": "scenario-k-child-0", "flow_run_id": "897bb514-fbbc-4872-99af-4477d4102619",
"task_key": "child-afa6e00c", "dynamic_key": "0", "cache_key": null, "cache_expiration": null,
"task_version": "a806d3d58cff3ccba7a7fc604a5c5094", "empirical_policy": {"max_retries": 0,
"retry_delay_seconds": 0.0, "retries": 0, "retry_delay": 0, "retry_jitter_factor": null},
"tags": [], "labels": {"prefect.flow.id": "de0f6fba-cdaf-441e-b58c-27adcd146ecd",
"prefect.flow-run.id": "897bb514-fbbc-4872-99af-4477d4102619"},
"state_id": "01a213e6-b56d-7a88-ac3e-40d50a3366fb", "task_inputs": {"x": []},
"state_type": "PENDING", "state_name": "Pending", "run_count": 0, "flow_run_run_count": 0,
"expected_start_time": "2026-11-25T18:10:16.557798Z", "next_scheduled_start_time": null,
"start_time": null, "end_time": null, "total_run_time": 0.0, "estimated_run_time": 0.0,
"estimated_start_time_delta": 0.060892, "state": {"id": "01a213e6-b56d-7a88-ac3e-40d50a3366fb",
"type": "PENDING", "name": "Pending", "timestamp": "2026-11-25T18:10:16.557798Z",
"message": null, "data": null,
"state_details": {"flow_run_id": "897bb514-fbbc-4872-99af-4477d4102619",
"task_run_id": "6b03eb4d-4f59-4d4c-b3cc-d7c1d2874aae", "child_flow_run_id": null,
"scheduled_time": null, "cache_key": null, "cache_expiration": null, "deferred": null,
"untrackable_result": false, "pause_timeout": null, "pause_reschedule": false,
"pause_key": null, "run_input_keyset": null, "refresh_cache": null, "retriable": null,
"transition_id": null, "task_parameters_id": null, "traceparent": null,
"deployment_concurrency_lease_id": null}}}"""

# l_flowretry: POST /api/flow_runs/{id}/set_state FAILED, answered REJECT → AwaitingRetry
SET_STATE_FAILED = """{"state": {"type": "FAILED", "name": "Failed",
"message": "Flow run encountered an exception: ValueError: first flow attempt fails",
"state_details": {"flow_run_id": "71d0f391-0017-4738-84bf-c5eb82d546a1", "retriable": false,
"transition_id": "503959a0-13c6-4d9b-a96c-7f1c5c84d990"},
"data": {"storage_key": "~/.prefect/storage/940f3be4651342c287d9a3bf266578d7",
"expiration": null, "serializer": {"type": "pickle", "picklelib": "cloudpickle",
"picklelib_version": null}, "prefect_version": "3.9.1", "storage_block_id": null}},
"force": false}"""

REJECTED = """{"state": {"id": "01a213e8-10e0-7746-a634-6eeb02425576", "type": "SCHEDULED",
"name": "AwaitingRetry", "timestamp": "2026-11-25T18:11:45.504622Z",
"message": "Flow run encountered an exception: ValueError: first flow attempt fails",
"data": {"storage_key": "~/.prefect/storage/940f3be4651342c287d9a3bf266578d7",
"expiration": null, "serializer": {"type": "pickle", "picklelib": "cloudpickle",
"picklelib_version": null}, "prefect_version": "3.9.1", "storage_block_id": null},
"state_details": {"flow_run_id": "71d0f391-0017-4738-84bf-c5eb82d546a1", "task_run_id": null,
"child_flow_run_id": null, "scheduled_time": "2026-11-25T18:11:45.504423Z", "cache_key": null,
"cache_expiration": null, "deferred": false, "untrackable_result": false,
"pause_timeout": null, "pause_reschedule": false, "pause_key": null, "run_input_keyset": null,
"refresh_cache": null, "retriable": null, "transition_id": null, "task_parameters_id": null,
"traceparent": null, "deployment_concurrency_lease_id": null}}, "status": "REJECT",
"details": {"type": "reject_details", "reason": "Retrying"}}"""

# a_basic: the flaky task's events, in the order the client sent them
FLAKY_EVENTS = [
    """{"occurred": "2026-11-25T18:01:44.813249Z", "event": "prefect.task-run.Pending",
"resource": {"prefect.resource.id": "prefect.task-run.01a213de-e66d-77fa-b556-a981afa8e5af",
"prefect.resource.name": "flaky-e6d", "prefect.run-count": "0", "prefect.state-message": "",
"prefect.state-name": "Pending", "prefect.state-timestamp": "2026-11-25T18:01:44.813249+00:00",
"prefect.state-type": "PENDING", "prefect.orchestration": "client"},
"related": [{"prefect.resource.id": "prefect.flow-run.b4bc1492-7fd9-4f75-ae9e-ac258f4381ca",
"prefect.resource.role": "flow-run", "prefect.resource.name": "accomplished-angelfish"},
{"prefect.resource.id": "prefect.flow.ec3de7ce-f1df-4b18-a9f8-32f236a72c7f",
"prefect.resource.role": "flow", "prefect.resource.name": "scenario-a"}],
"payload": {"intended": {"from": null, "to": "PENDING"}, "initial_state": null,
"validated_state": {"type": "PENDING", "name": "Pending", "message": "", "state_details": {},
"data": null}, "task_run": {"name": "flaky-e6d", "task_key": "flaky-26c91958",
"dynamic_key": "e6d235b3-9b62-4928-9990-ad55b05cd9bb", "empirical_policy": {"max_retries": 0,
"retry_delay_seconds": 0.0, "retries": 1, "retry_delay": 0}, "tags": [], "labels": {},
"task_inputs": {"x": []}, "run_count": 0, "flow_run_run_count": 0,
"expected_start_time": "2026-11-25T18:01:44.813249Z", "total_run_time": 0.0}},
"id": "01a213de-e66d-7a13-89c9-e6ce18caa60f", "follows": null}""",
    """{"occurred": "2026-11-25T18:01:44.815019Z", "event": "prefect.task-run.Retrying",
"resource": {"prefect.resource.id": "prefect.task-run.01a213de-e66d-77fa-b556-a981afa8e5af",
"prefect.resource.name": "flaky-e6d", "prefect.run-count": "2", "prefect.state-message": "",
"prefect.state-name": "Retrying", "prefect.state-timestamp": "2026-11-25T18:01:44.815019+00:00",
"prefect.state-type": "RUNNING", "prefect.orchestration": "client"},
"related": [{"prefect.resource.id": "prefect.flow-run.b4bc1492-7fd9-4f75-ae9e-ac258f4381ca",
"prefect.resource.role": "flow-run", "prefect.resource.name": "accomplished-angelfish"},
{"prefect.resource.id": "prefect.flow.ec3de7ce-f1df-4b18-a9f8-32f236a72c7f",
"prefect.resource.role": "flow", "prefect.resource.name": "scenario-a"}],
"payload": {"intended": {"from": "RUNNING", "to": "RUNNING"}, "initial_state": {"type":
"RUNNING", "name": "Running", "message": "", "state_details": {}}, "validated_state": {"type":
"RUNNING", "name": "Retrying", "message": "", "state_details": {}, "data": null}, "task_run":
{"name": "flaky-e6d", "task_key": "flaky-26c91958",
"dynamic_key": "e6d235b3-9b62-4928-9990-ad55b05cd9bb", "empirical_policy": {"max_retries": 0,
"retry_delay_seconds": 0.0, "retries": 1, "retry_delay": 0}, "tags": [], "labels": {},
"task_inputs": {"x": []}, "run_count": 2, "flow_run_run_count": 1,
"expected_start_time": "2026-11-25T18:01:44.813249Z",
"start_time": "2026-11-25T18:01:44.813767Z", "total_run_time": 0.001252}},
"id": "01a213de-e66f-76e5-b204-22d71336c622",
"follows": "01a213de-e66d-71dc-8423-b1cced3e5f45"}""",
]

FLAKY = UUID("01a213de-e66d-77fa-b556-a981afa8e5af")
FLOW_RUN = UUID("b4bc1492-7fd9-4f75-ae9e-ac258f4381ca")


def test_a_flow_parses_as_the_client_creates_it_and_reads_as_the_reference_answers() -> None:
    flow = FlowCreate.model_validate_json('{"name": "scenario-a", "tags": [], "labels": {}}')
    assert (flow.name, flow.tags, flow.labels) == ("scenario-a", [], {})
    answer = {
        "id": "ec3de7ce-f1df-4b18-a9f8-32f236a72c7f",
        "created": "2026-11-25T18:01:44.655047Z",
        "updated": "2026-11-25T18:01:44.655077Z",
        "name": "scenario-a",
        "tags": [],
        "labels": {},
    }
    assert FlowResponse.model_validate(answer).model_dump(mode="json") == answer


def test_a_flow_run_parses_as_the_client_creates_it() -> None:
    create = FlowRunCreate.model_validate_json(CREATE_FLOW_RUN)
    assert create.flow_id == UUID("ec3de7ce-f1df-4b18-a9f8-32f236a72c7f")
    assert create.name is None
    assert create.state is not None and create.state.type is StateType.PENDING
    assert create.state.state_details == {"traceparent": None}
    assert create.empirical_policy.retries == 0
    assert create.job_variables == {} and create.labels == {}


def test_a_flow_run_without_a_flow_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        FlowRunCreate.model_validate_json("{}")
    assert [error["loc"] for error in refused.value.errors()] == [("flow_id",)]


def test_a_deployment_run_parses_with_null_job_variables() -> None:
    create = DeploymentFlowRunCreate.model_validate_json(CREATE_DEPLOYMENT_FLOW_RUN)
    assert create.job_variables == {}
    assert create.parameters == {"x": 7}
    assert create.state is not None
    assert create.state.state_details["scheduled_time"] == "2026-11-25T18:04:24.657865Z"


def test_a_flow_run_update_changes_only_what_the_client_sent() -> None:
    runner = FlowRunUpdate.model_validate_json(
        '{"flow_version": "dc2c", "empirical_policy": {"max_retries": 0,'
        ' "retry_delay_seconds": 0.0, "retries": 0, "retry_delay": 0, "pause_keys": [],'
        ' "resuming": false, "retry_type": null}}'
    )
    assert set(runner.changes()) == {"flow_version", "empirical_policy"}
    assert runner.changes()["empirical_policy"]["retries"] == 0
    worker = FlowRunUpdate.model_validate_json('{"infrastructure_pid": "9724"}')
    assert worker.changes() == {"infrastructure_pid": "9724"}


def test_a_null_for_a_column_that_cannot_be_null_is_refused_in_an_update() -> None:
    with pytest.raises(ValidationError):
        FlowRunUpdate.model_validate({"tags": None})


def test_a_failed_state_keeps_the_result_record_as_sent() -> None:
    request = SetStateRequest.model_validate_json(SET_STATE_FAILED)
    assert request.force is False
    assert request.state.type is StateType.FAILED
    assert request.state.data["serializer"]["picklelib"] == "cloudpickle"
    assert request.state.state_details["retriable"] is False


def test_a_state_without_a_name_is_named_after_its_type() -> None:
    assert StateCreate(type=StateType.CANCELLING).name == "Cancelling"


def test_a_reject_answers_in_the_reference_shape() -> None:
    expected = json.loads(REJECTED)
    state = FlowRunState(
        id=UUID(expected["state"]["id"]),
        flow_run_id=UUID("71d0f391-0017-4738-84bf-c5eb82d546a1"),
        type=StateType.SCHEDULED,
        name="AwaitingRetry",
        timestamp=moment(expected["state"]["timestamp"]),
        message=expected["state"]["message"],
        data=expected["state"]["data"],
        state_details={"scheduled_time": "2026-11-25T18:11:45.504423Z"},
    )
    answer = OrchestrationResultResponse(
        state=StateResponse.from_row(state),
        status=SetStateStatus.REJECT,
        details=RejectDetails(reason="Retrying"),
    )
    assert answer.model_dump(mode="json") == expected


def test_a_wait_needs_its_delay() -> None:
    with pytest.raises(ValidationError):
        OrchestrationResultResponse.model_validate(
            {"state": None, "status": "WAIT", "details": {"type": "wait_details"}}
        )


def test_a_flow_run_reads_exactly_as_the_reference_answered() -> None:
    expected = json.loads(FLOW_RUN_RESPONSE)
    started = moment(expected["start_time"])
    run = FlowRun(
        id=FLOW_RUN,
        created=moment(expected["created"]),
        updated=moment(expected["updated"]),
        name="accomplished-angelfish",
        flow_id=UUID(expected["flow_id"]),
        flow_version=expected["flow_version"],
        state_id=UUID(expected["state_id"]),
        state_type=StateType.RUNNING,
        state_name="Running",
        state_timestamp=started,
        run_count=1,
        expected_start_time=moment(expected["expected_start_time"]),
        start_time=started,
        total_run_time_seconds=0.0,
        parameters={"a": 1, "b": 2},
        context={},
        tags=[],
        labels=expected["labels"],
        empirical_policy={"retries": 0, "retry_delay": 0},
        job_variables={},
        auto_scheduled=False,
    )
    state = FlowRunState(
        id=UUID(expected["state_id"]),
        flow_run_id=FLOW_RUN,
        type=StateType.RUNNING,
        name="Running",
        timestamp=started,
        state_details={"deferred": None, "transition_id": "77e1e140-681c-4801-9fa9-7aa4792eac3f"},
    )
    now = started + timedelta(microseconds=26_142)
    response = FlowRunResponse.from_row(run, state, now=now)
    assert response.model_dump(mode="json") == expected


def test_a_flow_run_has_every_field_the_client_reads() -> None:
    # CLIENT-PROTOCOL.md §7, "FlowRun".
    section_7 = """id, name, flow_id, state_id, state, state_type, state_name, run_count,
        empirical_policy, parameters, context, tags, labels, deployment_id, deployment_version,
        work_queue_id, work_queue_name, work_pool_id, work_pool_name, flow_version,
        parent_task_run_id, idempotency_key, expected_start_time, next_scheduled_start_time,
        start_time, end_time, total_run_time, estimated_run_time, estimated_start_time_delta,
        auto_scheduled, infrastructure_pid, infrastructure_document_id, created_by,
        job_variables, created, updated"""
    assert set(FlowRunResponse.model_fields) == {name.strip() for name in section_7.split(",")}
    policy = FlowRunResponse.model_fields["empirical_policy"].annotation
    assert policy is not None
    assert set(policy.model_fields) == {
        "max_retries", "retry_delay_seconds", "retries", "retry_delay",
        "pause_keys", "resuming", "retry_type",
    }  # fmt: skip


def test_a_scheduled_run_that_has_not_started_is_late_by_the_time_since_expected() -> None:
    expected = datetime(2026, 11, 25, 18, 4, 24, 657865, tzinfo=UTC)
    run = FlowRun(
        id=FLOW_RUN,
        created=expected,
        updated=expected,
        name="ambitious-grebe",
        flow_id=FLOW_RUN,
        state_type=StateType.SCHEDULED,
        expected_start_time=expected,
        total_run_time_seconds=0.0,
        run_count=0,
        auto_scheduled=False,
        parameters={},
        context={},
        tags=[],
        labels={},
        empirical_policy={},
        job_variables={},
    )
    response = FlowRunResponse.from_row(run, None, now=expected + timedelta(seconds=0.076739))
    assert response.estimated_start_time_delta == pytest.approx(0.076739)
    assert response.estimated_run_time == 0.0
    assert response.state is None
    assert response.empirical_policy.retries is None


def test_a_subflow_placeholder_parses_and_reads_as_the_reference_answered() -> None:
    create = TaskRunCreate.model_validate_json(CREATE_TASK_RUN)
    assert (create.task_key, create.dynamic_key, create.id) == ("child-afa6e00c", "0", None)
    assert create.task_inputs == {"x": []}
    expected = json.loads(TASK_RUN_RESPONSE)
    task_run = TaskRun(
        id=UUID(expected["id"]),
        created=moment(expected["created"]),
        updated=moment(expected["updated"]),
        name=create.name,
        flow_run_id=create.flow_run_id,
        task_key=create.task_key,
        dynamic_key=create.dynamic_key,
        task_version=create.task_version,
        state_id=UUID(expected["state_id"]),
        state_type=StateType.PENDING,
        state_name="Pending",
        state_timestamp=moment(expected["expected_start_time"]),
        run_count=0,
        flow_run_run_count=0,
        expected_start_time=moment(expected["expected_start_time"]),
        total_run_time_seconds=0.0,
        tags=[],
        labels=expected["labels"],
        task_inputs=create.task_inputs,
        empirical_policy=create.empirical_policy.model_dump(mode="json"),
    )
    assert create.state is not None
    state = TaskRunState(
        id=UUID(expected["state_id"]),
        task_run_id=task_run.id,
        type=StateType.PENDING,
        name="Pending",
        timestamp=moment(expected["expected_start_time"]),
        state_details=create.state.state_details | {"flow_run_id": str(create.flow_run_id)},
    )
    now = moment(expected["expected_start_time"]) + timedelta(microseconds=60_892)
    response = TaskRunResponse.from_row(task_run, state, now=now)
    assert response.model_dump(mode="json") == expected


def test_a_log_batch_parses_as_the_client_sends_it() -> None:
    batch = read_log_batch(
        b'[{"name": "prefect.flow_runs", "level": 20, "message": "flow starting",'
        b' "timestamp": "2026-11-25T18:01:44.782553Z",'
        b' "flow_run_id": "b4bc1492-7fd9-4f75-ae9e-ac258f4381ca", "task_run_id": null},'
        b' {"name": "prefect.task_runs", "level": 30, "message": "result is 30",'
        b' "timestamp": "2026-11-25T18:01:44.833126Z",'
        b' "flow_run_id": "b4bc1492-7fd9-4f75-ae9e-ac258f4381ca",'
        b' "task_run_id": "01a213de-e67c-7be0-b238-438d73e40090"}]'
    )
    assert [log["level"] for log in batch] == [20, 30]
    assert batch[1]["task_run_id"] == UUID("01a213de-e67c-7be0-b238-438d73e40090")
    assert batch[0]["timestamp"] == datetime(2026, 11, 25, 18, 1, 44, 782553, tzinfo=UTC)


def log_line(**values: Any) -> dict[str, Any]:
    return {"name": "n", "level": 20, "message": "m", "timestamp": "2026-11-25T18:01:44Z"} | values


def test_a_log_batch_over_the_cap_is_refused() -> None:
    with pytest.raises(ValidationError):
        read_log_batch(orjson.dumps([log_line()] * (MAX_LOG_BATCH + 1)))


def test_a_log_without_a_timezone_is_refused() -> None:
    with pytest.raises(ValidationError):
        read_log_batch(orjson.dumps([log_line(timestamp="2026-11-25T18:01:44")]))


def test_a_log_message_loses_nul_characters_and_what_is_past_the_cap() -> None:
    [nul, long] = read_log_batch(
        orjson.dumps(
            [log_line(message="a\x00b"), log_line(message="x" * (MAX_LOG_MESSAGE_CHARS + 5))]
        )
    )
    assert nul["message"] == "a\ufffdb"
    assert len(long["message"]) == MAX_LOG_MESSAGE_CHARS


def test_a_task_run_event_makes_a_task_run_row_a_state_row_and_its_event_row() -> None:
    pending = Event.model_validate_json(FLAKY_EVENTS[0])
    assert is_task_run_state_event(pending)
    assert pending.resource_id == f"prefect.task-run.{FLAKY}"
    assert [flow["prefect.resource.name"] for flow in pending.related_by_role("flow")] == [
        "scenario-a"
    ]
    task_run, state, event = task_run_state_rows(pending)
    # The event's own row, but for `received`, which the writer sets.
    received = datetime(2026, 11, 25, 18, 2, tzinfo=UTC)
    assert event | {"received": received} == pending.row(received)
    assert task_run["id"] == FLAKY
    assert task_run["flow_run_id"] == FLOW_RUN
    assert (task_run["name"], task_run["task_key"]) == ("flaky-e6d", "flaky-26c91958")
    assert task_run["state_id"] == state["id"] == pending.id
    assert task_run["state_timestamp"] == state["timestamp"] == pending.occurred
    assert task_run["empirical_policy"]["retries"] == 1
    assert task_run["task_inputs"] == {"x": []}
    assert state["task_run_id"] == FLAKY
    assert (state["type"], state["name"], state["message"]) == (StateType.PENDING, "Pending", "")
    assert state["state_details"] == {"task_run_id": str(FLAKY), "flow_run_id": str(FLOW_RUN)}


def test_an_event_row_is_keyed_by_its_resource_and_received_when_the_server_says() -> None:
    pending = Event.model_validate_json(FLAKY_EVENTS[0])
    received = datetime(2026, 11, 25, 18, 2, tzinfo=UTC)
    row = pending.row(received)
    assert row["resource_id"] == f"prefect.task-run.{FLAKY}"
    assert row["received"] == received
    assert row["follows"] is None
    assert row["related"][0]["prefect.resource.role"] == "flow-run"


def test_a_retrying_event_is_a_running_state_with_its_run_count() -> None:
    task_run, state, _ = task_run_state_rows(Event.model_validate_json(FLAKY_EVENTS[1]))
    assert (state["type"], state["name"]) == (StateType.RUNNING, "Retrying")
    assert (task_run["run_count"], task_run["flow_run_run_count"]) == (2, 1)
    assert task_run["start_time"] == datetime(2026, 11, 25, 18, 1, 44, 813767, tzinfo=UTC)
    assert task_run["end_time"] is None
    assert task_run["total_run_time_seconds"] == pytest.approx(0.001252)


def test_a_task_run_event_without_a_validated_state_reads_the_resource_labels() -> None:
    event = json.loads(FLAKY_EVENTS[1])
    del event["payload"]["validated_state"]
    _, state, _ = task_run_state_rows(Event.model_validate(event))
    assert (state["type"], state["name"], state["message"]) == (StateType.RUNNING, "Retrying", "")


def test_a_task_run_event_of_a_background_task_has_no_flow_run() -> None:
    event = json.loads(FLAKY_EVENTS[0])
    event["related"] = []
    task_run, state, _ = task_run_state_rows(Event.model_validate(event))
    assert task_run["flow_run_id"] is None
    assert "flow_run_id" not in state["state_details"]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda event: event["resource"].update({"prefect.resource.id": "prefect.flow-run.x"}),
        lambda event: event["payload"].pop("task_run"),
        lambda event: event["payload"]["task_run"].pop("task_key"),
        lambda event: event["payload"]["validated_state"].update({"type": "BOGUS"}),
    ],
    ids=["not a task run", "no task run", "no task key", "unknown state type"],
)
def test_a_task_run_event_that_cannot_make_rows_fails_validation(spoil: Any) -> None:
    event = json.loads(FLAKY_EVENTS[0])
    spoil(event)
    with pytest.raises(ValidationError):
        TaskRunStateEvent.from_event(Event.model_validate(event))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda event: event["resource"].pop("prefect.resource.id"),
        lambda event: event["related"][0].pop("prefect.resource.role"),
        lambda event: event["resource"].update({"prefect.run-count": 1}),
        lambda event: event.update({"occurred": "2026-11-25T18:01:44"}),
        lambda event: event.pop("id"),
    ],
    ids=["no resource id", "no role", "a label that is not text", "no timezone", "no id"],
)
def test_a_malformed_event_is_refused(spoil: Any) -> None:
    event = json.loads(FLAKY_EVENTS[0])
    spoil(event)
    with pytest.raises(ValidationError):
        Event.model_validate(event)


def test_the_filter_bodies_the_client_sends_parse() -> None:
    subflow_lookup = FlowRunFilterBody.model_validate_json(
        '{"flows": null, "flow_runs": {"parent_task_run_id": {"any_":'
        ' ["6b03eb4d-4f59-4d4c-b3cc-d7c1d2874aae"]}}, "task_runs": null, "deployments": null,'
        ' "work_pools": null, "work_pool_queues": null, "sort": "EXPECTED_START_TIME_DESC",'
        ' "limit": 1, "offset": 0}'
    )
    assert (subflow_lookup.limit, subflow_lookup.sort) == (1, "EXPECTED_START_TIME_DESC")
    cancel_poll = FlowRunFilterBody.model_validate_json(
        '{"flows": null, "flow_runs": {"id": {"any_": ["ab4b215f-be8c-4393-997c-89255ca0764c"]},'
        ' "state": {"type": {"any_": ["CANCELLED"]}, "name": {"any_": ["Cancelling"]}}},'
        ' "task_runs": null, "deployments": null, "work_pools": null, "work_pool_queues": null,'
        ' "sort": null, "limit": null, "offset": 0}'
    )
    assert (cancel_poll.limit, cancel_poll.offset, cancel_poll.sort) == (200, 0, "ID_DESC")
    assert TaskRunFilterBody.model_validate_json("{}").limit == 200
    assert LogFilterBody.model_validate_json('{"limit": 200}').sort == "TIMESTAMP_ASC"


def test_a_limit_over_200_raises_invalid_request_with_the_reference_detail() -> None:
    with pytest.raises(InvalidRequest) as refused:
        FlowRunFilterBody.model_validate_json('{"limit": 1000}')
    assert refused.value.detail == "Invalid limit: must be less than or equal to 200."


@pytest.mark.parametrize(
    "body",
    [
        {"flow_runs": {"state": {"type": {"any_": ["BOGUS"]}}}},
        {"flow_runs": {"no_such_criterion": {"any_": ["x"]}}},
        {"flow_runs": {"name": {"any_": ["x"], "nearly_": "x"}}},
        {"flow_runs": {"name": {"like_": "a\x00b"}}},
        {"flow_runs": {"id": {"any_": ["not-a-uuid"]}}},
        {"flow_runs": {"start_time": {"before_": "2026-11-25T18:01:44"}}},
        {"sort": "SIDEWAYS"},
        {"limit": -1},
        {"offset": -1},
    ],
    ids=[
        "unknown state type",
        "unknown criterion",
        "unknown operator",
        "a NUL in text",
        "a bad id",
        "a time without a zone",
        "unknown sort",
        "negative limit",
        "negative offset",
    ],
)
def test_a_filter_we_cannot_apply_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FlowRunFilterBody.model_validate(body)
