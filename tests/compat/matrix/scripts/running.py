"""Calls a flow the way a user does and reports what the client got back.

Imported by the matrix scripts, in the Prefect virtualenv.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client


def ran(flow: Flow[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call `flow`; its run id, final state and return value (or what it raised)."""
    state = flow(*args, return_state=True, **kwargs)
    seen: dict[str, Any] = {
        "flow_run_id": str(state.state_details.flow_run_id),
        "state_type": state.type.value,
        "state_name": state.name,
    }
    try:
        seen["value"] = state.result()
    except Exception as exc:
        seen["raised"] = type(exc).__name__
    return seen


def client_call(call: Callable[[PrefectClient], Awaitable[Any]]) -> Any:
    """Run one call of the async client (`lambda client: client.read_...()`) to its end."""

    async def go() -> Any:
        async with get_client() as client:
            return await call(client)

    return asyncio.run(go())
