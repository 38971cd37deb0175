"""Every filter body the Prefect 3.9.1 client can send, with every field of every filter set.

Run by the Prefect virtualenv's python (prefect and the stdlib only); talks to no server.
Each filter and sort model of `prefect.client.schemas` is built with every field given a
value other than its default (nested filters too, `operator` as `or_`), dumped as the client
dumps it (`model_dump(mode="json")`), and put in the bodies of the endpoints that take it, once
per value of the endpoint's sort. Prints `RESULT {"bodies": [[path, body], ...],
"models": [...]}`, `models` naming every filter model the bodies hold.
"""

import datetime
import enum
import json
import types
import typing
import uuid

from prefect.client.schemas import filters, sorting
from prefect.client.schemas.objects import StateType
from pydantic import BaseModel

WHEN = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
USED: set[str] = set()
#: Fields the client types as free text that servers read as an enumeration.
ENUMERATED = {
    ("WorkerFilterStatus", "any_"): ["ONLINE"],
    ("WorkerFilterStatus", "not_any_"): ["OFFLINE"],
}


def value_for(annotation: typing.Any, default: typing.Any) -> typing.Any:
    """A value of `annotation` that differs from `default`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [inner] = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return value_for(inner, default)
    if origin in (list, typing.List):  # noqa: UP006 - the client's annotations use both
        [item] = typing.get_args(annotation)
        return [value_for(item, None)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return build(annotation)
    if annotation is filters.Operator:
        return filters.Operator.or_
    if annotation is StateType:
        return StateType.RUNNING
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(member for member in annotation if member != default)
    if annotation is bool:
        return not default if isinstance(default, bool) else True
    if annotation is int:
        return 7
    if annotation is uuid.UUID:
        return uuid.uuid4()
    if annotation is str:
        return "compat"
    if isinstance(annotation, type) and issubclass(annotation, datetime.datetime):
        return WHEN
    raise TypeError(f"no value for {annotation!r}")


def build(model: type[BaseModel]) -> BaseModel:
    """The model with every field set to a value other than its default."""
    USED.add(model.__name__)
    values = {
        name: ENUMERATED.get((model.__name__, name)) or value_for(field.annotation, field.default)
        for name, field in model.model_fields.items()
    }
    return model(**values)


def dumped(model: type[BaseModel]) -> dict[str, typing.Any]:
    return build(model).model_dump(mode="json")


def bodies_for(path: str, sort: type[enum.Enum] | None, **parts: type[BaseModel]) -> list:
    """`path`'s body with every part set, once per sort value (once without a sort)."""
    body = {name: dumped(model) for name, model in parts.items()}
    body.update(limit=5, offset=1)
    if sort is None:
        return [[path, body]]
    return [[path, {**body, "sort": member.value}] for member in sort]


RUN_PARTS = {
    "flows": filters.FlowFilter,
    "flow_runs": filters.FlowRunFilter,
    "task_runs": filters.TaskRunFilter,
    "deployments": filters.DeploymentFilter,
}
POOL_PARTS = {**RUN_PARTS, "work_pools": filters.WorkPoolFilter}
QUEUE_PARTS = {**POOL_PARTS, "work_pool_queues": filters.WorkQueueFilter}
RUNS_ONLY = {"flow_runs": filters.FlowRunFilter, "task_runs": filters.TaskRunFilter}
ARTIFACT_PARTS = {"artifacts": filters.ArtifactFilter, **RUNS_ONLY}
LATEST_ARTIFACT_PARTS = {"artifacts": filters.ArtifactCollectionFilter, **RUNS_ONLY}
BLOCK_PARTS = {
    "block_documents": filters.BlockDocumentFilter,
    "block_types": filters.BlockTypeFilter,
    "block_schemas": filters.BlockSchemaFilter,
}


def all_bodies() -> list:
    return [
        *bodies_for("/flows/filter", sorting.FlowSort, **POOL_PARTS),
        *bodies_for("/flows/count", None, **POOL_PARTS),
        *bodies_for("/flow_runs/filter", sorting.FlowRunSort, **QUEUE_PARTS),
        *bodies_for("/flow_runs/count", None, **QUEUE_PARTS),
        *bodies_for("/task_runs/filter", sorting.TaskRunSort, **RUN_PARTS),
        *bodies_for("/task_runs/count", None, **RUN_PARTS),
        *bodies_for("/deployments/filter", sorting.DeploymentSort, **QUEUE_PARTS),
        *bodies_for("/deployments/count", None, **QUEUE_PARTS),
        *bodies_for("/logs/filter", sorting.LogSort, logs=filters.LogFilter),
        *bodies_for("/artifacts/filter", sorting.ArtifactSort, **ARTIFACT_PARTS),
        *bodies_for("/artifacts/count", None, **ARTIFACT_PARTS),
        *bodies_for(
            "/artifacts/latest/filter", sorting.ArtifactCollectionSort, **LATEST_ARTIFACT_PARTS
        ),
        *bodies_for("/artifacts/latest/count", None, **LATEST_ARTIFACT_PARTS),
        *bodies_for("/variables/filter", sorting.VariableSort, variables=filters.VariableFilter),
        *bodies_for("/variables/count", None, variables=filters.VariableFilter),
        *bodies_for(
            "/block_types/filter",
            None,
            block_types=filters.BlockTypeFilter,
            block_schemas=filters.BlockSchemaFilter,
        ),
        *bodies_for("/block_schemas/filter", None, block_schemas=filters.BlockSchemaFilter),
        *bodies_for("/block_documents/filter", sorting.BlockDocumentSort, **BLOCK_PARTS),
        *bodies_for("/block_documents/count", None, **BLOCK_PARTS),
        *bodies_for("/work_pools/filter", None, work_pools=filters.WorkPoolFilter),
        *bodies_for("/work_pools/count", None, work_pools=filters.WorkPoolFilter),
        *bodies_for("/work_queues/filter", None, work_queues=filters.WorkQueueFilter),
        *bodies_for("/work_pools/{pool}/queues/filter", None, work_queues=filters.WorkQueueFilter),
        *bodies_for("/work_pools/{pool}/workers/filter", None, workers=filters.WorkerFilter),
    ]


def main() -> None:
    bodies = all_bodies()
    print("RESULT " + json.dumps({"bodies": bodies, "models": sorted(USED)}), flush=True)


if __name__ == "__main__":
    main()
