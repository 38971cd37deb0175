"""Parameters and job variables checked against their schemas as Prefect's server checks them."""

from __future__ import annotations

import pytest

from models.coordination.parameter_schemas import (
    as_prefect_reads,
    check_job_variables,
    check_parameters,
)
from models.errors import InvalidRequest, ObjectAlreadyExists

SCHEMA = {
    "type": "object",
    "properties": {
        "x": {"type": "integer"},
        "y": {"type": "integer", "default": 1},
        "n": {"type": "string"},
        "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
    },
    "required": ["n"],
}


def test_an_optional_parameter_without_a_default_may_be_null() -> None:
    read = as_prefect_reads(SCHEMA)
    assert read["properties"]["x"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert read["properties"]["y"] == {"type": "integer", "default": 1}
    assert read["properties"]["n"] == {"type": "string"}
    assert "prefixItems" in read["properties"]["pair"]
    assert SCHEMA["properties"]["x"] == {"type": "integer"}  # the stored schema is untouched
    check_parameters({"n": "a", "x": None, "pair": ["a", 1]}, SCHEMA, "Error creating flow run")


@pytest.mark.parametrize(
    ("parameters", "detail"),
    [
        (
            {"n": "a", "x": "s"},
            "Error creating flow run: Validation failed for field 'x'. Failure reason: 's' is "
            "not valid under any of the given schemas",
        ),
        (
            {"x": 1},
            "Error creating flow run: Validation failed. Failure reason: 'n' is a required "
            "property",
        ),
        (
            {"n": "a", "y": None},
            "Error creating flow run: Validation failed for field 'y'. Failure reason: None is "
            "not of type 'integer'",
        ),
    ],
)
def test_refused_parameters_are_a_409_naming_the_field(parameters: dict, detail: str) -> None:
    with pytest.raises(ObjectAlreadyExists) as refused:
        check_parameters(parameters, SCHEMA, "Error creating flow run")
    assert refused.value.detail == detail


def test_required_parameters_may_be_left_out_of_a_deployment() -> None:
    check_parameters({"x": 1}, SCHEMA, "Error updating deployment", ignore_required=True)
    with pytest.raises(ObjectAlreadyExists, match="valid parameter schema"):
        check_parameters({}, None, "Error creating flow run")


def test_job_variables_against_a_pools_variables() -> None:
    template = {"variables": {"properties": {"cpu": {"type": "integer"}}, "required": ["cpu"]}}
    check_job_variables({}, template, "Error creating deployment")
    check_job_variables({"other": "x"}, template, "Error creating deployment")
    check_job_variables({"cpu": "x"}, {}, "Error creating deployment")  # no schema: no check
    with pytest.raises(InvalidRequest, match="field 'cpu'"):
        check_job_variables({"cpu": "x"}, template, "Error creating deployment")
