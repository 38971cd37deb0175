"""Wire schemas of flow-run inputs, the resume request, and a run input checked against the
schema its pause stored."""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

import jsonschema
import referencing
import referencing.exceptions
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Input keys are lowercase letters, digits and dashes, as Prefect's are.
INPUT_KEY: Final = re.compile(r"^[a-z0-9-]*$")


def check_input_key(key: str) -> str:
    if not INPUT_KEY.match(key):
        raise ValueError("key must only contain lowercase letters, numbers, and dashes.")
    return key


InputKey = Annotated[str, AfterValidator(check_input_key)]


class FlowRunInputCreate(BaseModel):
    """The body of POST /api/flow_runs/{id}/input: `value` is text (the client sends JSON)."""

    model_config = ConfigDict(extra="ignore")

    key: InputKey
    value: str
    sender: str | None = None


class FlowRunInputFilter(BaseModel):
    """The body of POST /api/flow_runs/{id}/input/filter: keys starting with `prefix`."""

    model_config = ConfigDict(extra="ignore")

    prefix: str
    limit: int = Field(default=1, ge=0)
    exclude_keys: list[str] = Field(default_factory=list)


class FlowRunInputResponse(BaseModel):
    """A flow-run input as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    flow_run_id: UUID
    key: str
    value: str
    sender: str | None


class ResumeRequest(BaseModel):
    """The body of POST /api/flow_runs/{id}/resume: what the paused flow waits for, if any."""

    model_config = ConfigDict(extra="ignore")

    run_input: dict[str, Any] | None = None


#: An empty registry: a `$ref` to anything outside the schema fails instead of fetching.
NO_REMOTE_SCHEMAS: Final = referencing.Registry()  # type: ignore[var-annotated]


def run_input_problem(run_input: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """Why `run_input` does not fit the JSON schema of the input a pause waits for; None if it
    does. Worded as Prefect's server words it, which the client shows as is."""
    try:
        jsonschema.validate(
            run_input,
            optional_fields_take_null(schema),
            jsonschema.Draft202012Validator,
            registry=NO_REMOTE_SCHEMAS,
        )
    except RecursionError:
        return "Invalid schema: Unable to validate schema with circular references."
    except referencing.exceptions.Unresolvable as exc:
        return f"Reason: Validation failed. Failure reason: {exc}"
    except jsonschema.SchemaError as exc:
        return f"Reason: Invalid schema: {exc.message}"
    except jsonschema.ValidationError as exc:
        where = (
            "Validation failed."
            if exc.json_path == "$"
            else f"Validation failed for field {exc.json_path.replace('$.', '')!r}."
        )
        return f"Reason: {where} Failure reason: {exc.message}"
    return None


def optional_fields_take_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each optional, typed property without a default also accepting null.

    Schemas written by pydantic v1 say `"type": "string"` for an Optional[str]; Prefect
    reads them so, and a client sending null for such a field is not refused.
    """
    schema = deepcopy(schema)
    objects = [schema, *(schema.get("definitions") or {}).values()]
    while objects:
        current = objects.pop()
        if not isinstance(current, dict):
            continue
        required = current.get("required") or []
        for name, field in (current.get("properties") or {}).items():
            if not isinstance(field, dict):
                continue
            typed = "type" in field and field["type"] != "null"
            if name not in required and typed and "default" not in field:
                field["anyOf"] = [{"type": field.pop("type")}, {"type": "null"}]
            objects.append(field)
    return schema
