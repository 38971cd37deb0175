"""Checking a deployment's or a run's parameters against the deployment's parameter schema,
as Prefect's server does (JSON Schema 2020-12; its messages name the failing field)."""

from __future__ import annotations

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
    if ignore_required:
        schema = without_required(schema)
    try:
        jsonschema.validate(parameters, schema, Draft202012Validator)
    except RecursionError:
        raise InvalidRequest(CIRCULAR_DETAIL) from None
    except jsonschema.SchemaError as exc:
        raise InvalidRequest(f"{prefix}: Invalid schema: {exc.message}") from None
    except jsonschema.ValidationError as exc:
        if exc.json_path == "$":
            message = "Validation failed."
        else:
            field = exc.json_path.replace("$.", "")
            message = f"Validation failed for field {field!r}."
        raise ParametersRefused(f"{prefix}: {message} Failure reason: {exc.message}") from None
