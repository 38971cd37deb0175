"""Compat scenario: events the client emits, read back and counted through the events API.

Run by the Prefect virtualenv's python with a unique prefix: emits three custom events with
`emit_event`, runs a flow with one task (flow-run and task-run state events), waits (against
a deadline) until the server has stored them, then reads them with the client's own calls
(`read_events`, `read_events_page`) and its `EventFilter` models, and counts them through
`/events/count-by/...` with the filter dumped as the client dumps it. Prints `RESULT {json}`
holding only what does not depend on the prefix, ids or times, so that one expectation
judges Signalbox and Prefect's server alike.
"""

import asyncio
import json
import sys
import time
from datetime import timedelta
from typing import Any

from prefect import flow, get_client, task
from prefect.events import emit_event
from prefect.events.filters import (
    EventAnyResourceFilter,
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventOrder,
    EventRelatedFilter,
    EventResourceFilter,
    EventTextFilter,
)
from prefect.events.worker import EventsWorker
from prefect.exceptions import PrefectHTTPStatusError
from prefect.types._datetime import now

#: Seconds the script waits for the server to store what was emitted.
WAIT_SECONDS = 60


@task
def double(x: int) -> int:
    return 2 * x


@flow(name="events-api-doubler")
def doubler() -> int:
    return double(21)


def emit_orders(prefix: str) -> None:
    def customer(number: int, name: str) -> dict[str, str]:
        return {
            "prefect.resource.id": f"{prefix}.customer.{number}",
            "prefect.resource.role": "customer",
            "prefect.resource.name": name,
        }

    emit_event(
        f"{prefix}.order.placed",
        resource={"prefect.resource.id": f"{prefix}.order.1", "prefect.resource.name": "first"},
        related=[customer(7, "ada")],
        payload={"total": 12},
    )
    emit_event(
        f"{prefix}.order.placed",
        resource={"prefect.resource.id": f"{prefix}.order.2"},
        related=[customer(8, "grace")],
    )
    emit_event(
        f"{prefix}.order.shipped",
        resource={"prefect.resource.id": f"{prefix}.order.1", "prefect.resource.name": "first"},
        related=[customer(7, "ada")],
        payload={"carrier": "Parcel Express"},
    )
    EventsWorker.drain_all()


async def wait_for(client: Any, wanted: EventFilter, count: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while (await client.read_events(filter=wanted, limit=50)).total < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} events stored within {WAIT_SECONDS} s")
        await asyncio.sleep(0.2)  # polling interval, bounded by the deadline above


async def read_back(prefix: str, flow_run_id: str) -> dict[str, Any]:
    def short(name: str) -> str:
        return name.removeprefix(f"{prefix}.")

    orders = EventFilter(event=EventNameFilter(prefix=[f"{prefix}."]))
    flow_run = f"prefect.flow-run.{flow_run_id}"
    # Heartbeats come when they come: what is compared is the run's states.
    run_events = EventFilter(
        any_resource=EventAnyResourceFilter(id=[flow_run]),
        event=EventNameFilter(exclude_name=["prefect.flow-run.heartbeat"]),
    )
    result: dict[str, Any] = {}
    async with get_client() as client:
        await wait_for(client, orders, 3)
        await wait_for(client, EventFilter(related=EventRelatedFilter(id=[flow_run])), 3)

        async def names(wanted: EventFilter) -> list[str]:
            page = await client.read_events(filter=wanted, limit=50)
            return [short(event.event) for event in page.events]

        page = await client.read_events(filter=orders, limit=50)
        result["newest_first"] = [short(event.event) for event in page.events]
        result["oldest_first"] = await names(orders.model_copy(update={"order": EventOrder.ASC}))
        first = await client.read_events(filter=orders, limit=2)
        second = await client.read_events_page(str(first.next_page))
        result["pages"] = [
            (len(first.events), first.total, first.next_page is not None),
            (len(second.events), second.total, second.next_page is not None),
        ]
        result["paged_ids_distinct"] = len({e.id for e in first.events + second.events})
        result["by_related_customer"] = await names(
            orders.model_copy(update={"related": EventRelatedFilter(id=[f"{prefix}.customer.7"])})
        )
        result["by_related_label"] = await names(
            orders.model_copy(
                update={"related": EventRelatedFilter(labels={"prefect.resource.name": "gr*"})}
            )
        )
        result["by_resource_prefix"] = await names(
            orders.model_copy(
                update={"resource": EventResourceFilter(id_prefix=[f"{prefix}.order.1"])}
            )
        )
        try:
            result["by_text"] = await names(
                orders.model_copy(update={"text": EventTextFilter(query="EXPRESS")})
            )
        except PrefectHTTPStatusError as error:
            # Prefect's server searches text with SQL's concat(), which SQLite has from 3.44.
            result["by_text"] = f"HTTP {error.response.status_code}"
        distinct = await client.read_events(
            filter=orders.model_copy(
                update={"resource": EventResourceFilter(id_prefix=[prefix], distinct=True)}
            ),
            limit=50,
        )
        result["distinct_resources"] = (distinct.total, len(distinct.events))
        result["flow_and_task_run_events"] = sorted(
            event.event for event in (await client.read_events(filter=run_events, limit=50)).events
        )
        result["task_run_events_of_the_flow_run"] = sorted(
            await names(EventFilter(related=EventRelatedFilter(id=[flow_run], role=["flow-run"])))
        )

        async def count(countable: str, wanted: EventFilter, **body: Any) -> Any:
            try:
                response = await client._client.post(
                    f"/events/count-by/{countable}",
                    json={"filter": wanted.model_dump(mode="json"), **body},
                )
            except PrefectHTTPStatusError as error:  # the client raises on any 4xx
                response = error.response
            return response.status_code, response.json()

        status, by_event = await count("event", orders)
        result["count_by_event"] = [status, [(short(c["value"]), c["count"]) for c in by_event]]
        status, by_resource = await count("resource", orders)
        result["count_by_resource"] = [
            status,
            [(short(c["value"]), short(c["label"]), c["count"]) for c in by_resource],
        ]
        recent = orders.model_copy(
            update={"occurred": EventOccurredFilter(since=now("UTC") - timedelta(hours=2))}
        )
        status, by_hour = await count("time", recent, time_unit="hour", time_interval=1)
        result["count_by_hour"] = [
            status,
            len(by_hour) in (2, 3),
            sum(c["count"] for c in by_hour),
            [c["value"] for c in by_hour][:2],
        ]
        status, _ = await count("day", orders)
        result["count_by_day_status"] = status
        status, too_many = await count("time", orders, time_unit="second")
        result["too_many_buckets"] = [status, "too many" in str(too_many)]

        try:  # the client's own default page size, 100, is more than a page holds
            await client.read_events(filter=orders)
            result["default_limit"] = "accepted"
        except PrefectHTTPStatusError as error:
            result["default_limit"] = error.response.status_code
        try:
            await client._client.get("/events/filter/next?page-token=bm90IGEgdG9rZW4=")
            result["bad_token"] = "accepted"
        except PrefectHTTPStatusError as error:
            result["bad_token"] = error.response.status_code
    return result


def main() -> None:
    prefix = sys.argv[1]
    emit_orders(prefix)
    state = doubler(return_state=True)
    flow_run_id = str(state.state_details.flow_run_id)
    EventsWorker.drain_all()
    try:
        result: dict[str, Any] = asyncio.run(read_back(prefix, flow_run_id))
        result["raised"] = None
    except Exception as error:  # reported, not raised: the test shows it with the output
        result = {"raised": f"{type(error).__name__}: {error}"}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
