"""Flow-run input schemas: input keys, and a run input checked against its pause's schema."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from models.schemas.flow_run_inputs import FlowRunInputCreate, run_input_problem

#: What the client stores for `class Approval(RunInput): approved: bool; note: str | None`
#: as pydantic v2 writes it, plus a pydantic v1 style optional field.
APPROVAL_SCHEMA: dict[str, Any] = {
    "title": "Approval",
    "type": "object",
    "properties": {
        "approved": {"title": "Approved", "type": "boolean"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "reviewer": {"title": "Reviewer", "type": "string"},
        "detail": {"$ref": "#/definitions/Detail"},
    },
    "required": ["approved"],
    "definitions": {
        "Detail": {"type": "object", "properties": {"level": {"type": "integer"}}},
    },
}


def test_an_input_that_fits_the_schema_has_no_problem() -> None:
    assert run_input_problem({"approved": True, "note": None}, APPROVAL_SCHEMA) is None


def test_a_missing_required_field_is_worded_as_prefect_words_it() -> None:
    assert run_input_problem({}, APPROVAL_SCHEMA) == (
        "Reason: Validation failed. Failure reason: 'approved' is a required property"
    )


def test_a_wrong_type_names_the_field() -> None:
    assert run_input_problem({"approved": "yes"}, APPROVAL_SCHEMA) == (
        "Reason: Validation failed for field 'approved'. Failure reason: 'yes' is not of type"
        " 'boolean'"
    )


def test_an_optional_field_typed_without_null_still_takes_null() -> None:
    assert run_input_problem({"approved": False, "reviewer": None}, APPROVAL_SCHEMA) is None


def test_definitions_are_checked_too() -> None:
    problem = run_input_problem({"approved": True, "detail": {"level": "high"}}, APPROVAL_SCHEMA)
    assert problem is not None and "'detail.level'" in problem


def test_a_reference_outside_the_schema_is_a_problem_not_a_fetch() -> None:
    schema = {"type": "object", "properties": {"x": {"$ref": "https://example.invalid/s.json"}}}
    problem = run_input_problem({"x": 1}, schema)
    assert problem is not None and problem.startswith("Reason: Validation failed.")


@pytest.mark.parametrize("key", ["paused-1-response", "approval-auto-0a1b", "x"])
def test_input_keys_of_lowercase_letters_digits_and_dashes_are_taken(key: str) -> None:
    assert FlowRunInputCreate(key=key, value='"v"').key == key


@pytest.mark.parametrize("key", ["Upper", "under_score", "slash/key", "dot.key"])
def test_other_input_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="lowercase letters, numbers, and dashes"):
        FlowRunInputCreate(key=key, value='"v"')
