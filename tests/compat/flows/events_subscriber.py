"""Compat scenario: an events subscriber with the client's default filter gets every event.

Run by the Prefect virtualenv's python, in two steps:
- `emit NAME`: emit one event and print `RESULT {}`;
- `subscribe BEFORE AFTER`: subscribe with no filter (`get_events_subscriber()`: the client
  sends its default filter, whose empty lists mean "any"), emit AFTER, and collect BEFORE
  (stored earlier: it comes from the backfill) and AFTER (live). Prints `RESULT {json}` with
  the names of the events received.
"""

import asyncio
import json
import sys

from prefect.events import Event
from prefect.events.clients import get_events_client, get_events_subscriber

#: Seconds the subscriber waits for the two events before giving up.
WAIT_SECONDS = 30


async def emit(name: str) -> None:
    async with get_events_client() as client:
        await client.emit(Event(event=name, resource={"prefect.resource.id": f"compat.{name}"}))


async def subscribe(before: str, after: str) -> dict[str, object]:
    received: list[str] = []
    raised = None
    async with get_events_subscriber() as subscriber:
        await emit(after)

        async def collect() -> None:
            async for event in subscriber:
                if event.event in (before, after) and event.event not in received:
                    received.append(event.event)
                    if len(received) == 2:
                        return

        try:
            await asyncio.wait_for(collect(), WAIT_SECONDS)
        except TimeoutError:
            raised = f"received only {received} within {WAIT_SECONDS} s"
    return {"received": received, "raised": raised}


def main() -> None:
    if sys.argv[1] == "emit":
        asyncio.run(emit(sys.argv[2]))
        result: dict[str, object] = {}
    else:
        result = asyncio.run(subscribe(sys.argv[2], sys.argv[3]))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
