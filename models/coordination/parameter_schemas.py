"""Checking a deployment's or a run's parameters against the deployment's parameter schema,
and a deployment's job variables against its work pool's, as Prefect's server does (JSON
Schema 2020-12; the messages name the failing field)."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from models.errors import InvalidRequest, ObjectAlreadyExists

#: Parameters the schema refuses are a 409, as the reference answers: the conflict error.
ParametersRefused = ObjectAlreadyExists


NO_SCHEMA_DETAIL = (
    "Error updating deployment: Cannot update parameters because parameter schema"
    " enforcement is enabled and the deployment does not have a valid parameter schema."
)
CIRCULAR_DETAIL = "Invalid schema: Unable to validate schema with circular references."


def without_required(schema: Any) -> Any:
    """The schema with every `required` removed (a deployment's defaults may be partial)."""
    if isinstance(schema, dict):
        return {key: without_required(value) for key, value in schema.items() if key != "required"}
    if isinstance(schema, list):
        return [without_required(value) for value in schema]
    return schema


def as_prefect_reads(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as Prefect's server validates with it: an optional property without a
    default may also be null, and a tuple's `items` list is its `prefixItems` (the shapes
    pydantic 1 wrote), in the properties and in the definitions."""
    schema = copy.deepcopy(schema)
    for owner in [schema, *(schema.get("definitions") or {}).values()]:
        if isinstance(owner, dict) and isinstance(owner.get("properties"), dict):
            loosen_properties(owner["properties"], owner.get("required") or [])
    return schema


def loosen_properties(properties: dict[str, Any], required: list[str]) -> None:
    for name, field in properties.items():
        if not isinstance(field, dict):
            continue
        kind = field.get("type")
        if name not in required and kind is not None and kind != "null" and "default" not in field:
            field["anyOf"] = [{"type": field.pop("type")}, {"type": "null"}]
        if isinstance(field.get("items"), list) and not field.get("prefixItems"):
            field["prefixItems"] = field.pop("items")
        if isinstance(field.get("properties"), dict):
            loosen_properties(field["properties"], field.get("required") or [])


def check_parameters(
    parameters: dict[str, Any],
    schema: dict[str, Any] | None,
    prefix: str,
    *,
    ignore_required: bool = False,
) -> None:
    """Raise ParametersRefused (409) when `parameters` fail `schema`, the detail beginning
    with `prefix` ("Error creating flow run"), or InvalidRequest for a circular schema."""
    if not isinstance(schema, dict):
        raise ParametersRefused(NO_SCHEMA_DETAIL)
    schema = as_prefect_reads(schema)
    if ignore_required:
        schema = without_required(schema)
    try:
        jsonschema.validate(parameters, schema, Draft202012Validator)
    except RecursionError:
        raise InvalidRequest(CIRCULAR_DETAIL) from None
    except jsonschema.SchemaError as exc:
        raise InvalidRequest(f"{prefix}: Invalid schema: {exc.message}") from None
    except jsonschema.ValidationError as exc:
        raise ParametersRefused(f"{prefix}: {validation_message(exc)}") from None


def check_job_variables(
    job_variables: dict[str, Any], base_job_template: dict[str, Any] | None, prefix: str
) -> None:
    """Raise InvalidRequest (422) when a deployment's job variables fail its work pool's
    variables schema; required ones are not checked (a run may still give them), and a pool
    without a schema checks nothing, as the reference."""
    schema = (base_job_template or {}).get("variables")
    if not job_variables or not isinstance(schema, dict) or not schema:
        return
    try:
        jsonschema.validate(job_variables, without_required(schema), Draft202012Validator)
    except jsonschema.SchemaError as exc:
        raise InvalidRequest(f"{prefix}: Invalid schema: {exc.message}") from None
    except jsonschema.ValidationError as exc:
        raise InvalidRequest(f"{prefix}: {validation_message(exc)}") from None


def validation_message(exc: jsonschema.ValidationError) -> str:
    """What failed, worded as the reference words it."""
    if exc.json_path == "$":
        return f"Validation failed. Failure reason: {exc.message}"
    field = exc.json_path.replace("$.", "")
    return f"Validation failed for field {field!r}. Failure reason: {exc.message}"
