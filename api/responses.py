"""Writing responses: pydantic models and lists of them as JSON, without a detour via dicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import orjson
from aiohttp import web
from pydantic import BaseModel, TypeAdapter

from models.schemas.states import OrchestrationResultResponse

if TYPE_CHECKING:
    from models.runs.flow_run_transitions import Outcome

JSON = "application/json"

_list_adapters: dict[type[BaseModel], TypeAdapter[Any]] = {}


def json_model(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(body=model.model_dump_json(), status=status, content_type=JSON)


def json_models(
    models: Sequence[BaseModel], model_type: type[BaseModel], status: int = 200
) -> web.Response:
    adapter = _list_adapters.get(model_type)
    if adapter is None:
        adapter = _list_adapters[model_type] = TypeAdapter(list[model_type])  # type: ignore[valid-type]
    return web.Response(body=adapter.dump_json(list(models)), status=status, content_type=JSON)


def json_values(values: Sequence[Any] | Mapping[str, Any]) -> web.Response:
    """Plain JSON values (and `orjson.Fragment`s of stored JSON) built for a long listing.

    Times must be aware and in UTC: they are written as pydantic writes them (…Z).
    """
    try:
        body = orjson.dumps(values, option=orjson.OPT_UTC_Z)
    except TypeError:
        # orjson writes integers of 64 bits at most, and a label or parameter may hold a larger
        # one (JSON has no limit, and such a value was accepted and stored): write its digits.
        body = orjson.dumps(with_big_integers_as_text(values), option=orjson.OPT_UTC_Z)
    return web.Response(body=body, content_type=JSON)


#: The integers orjson writes itself: a signed or unsigned 64-bit one.
SMALLEST_INTEGER: Final = -(2**63)
LARGEST_INTEGER: Final = 2**64 - 1


def with_big_integers_as_text(value: Any) -> Any:
    """`value` with every integer orjson cannot write replaced by a fragment of its digits."""
    if isinstance(value, int) and not SMALLEST_INTEGER <= value <= LARGEST_INTEGER:
        return orjson.Fragment(str(value))
    if isinstance(value, Mapping):
        return {key: with_big_integers_as_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_big_integers_as_text(item) for item in value]
    return value


def json_value(value: Any, status: int = 200) -> web.Response:
    """A bare JSON value: counts are integers, the version is a string."""
    return web.json_response(value, status=status)


def no_content() -> web.Response:
    return web.Response(status=204)


def orchestration_result(outcome: Outcome, status: int = 201) -> web.Response:
    """The answer to `set_state`: 201 whatever the decision, as the reference server does."""
    state = None if outcome.state is None else outcome.state.columns()
    result = OrchestrationResultResponse.model_validate(
        {
            "state": state,
            "status": outcome.decision.status.value,
            "details": outcome.decision.details,
        }
    )
    return json_model(result, status=status)
