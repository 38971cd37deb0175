"""Matrix actions: concurrency limits, rate limits, events, and cancelling runs."""

from datetime import timedelta

from prefect import flow, task
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from prefect.concurrency.sync import concurrency, rate_limit
from prefect.events import emit_event
from prefect.states import Cancelled, Cancelling, Scheduled
from prefect.types._datetime import now
from recording import action, raised, run_actions
from running import client_call, ran


@task(tags=["mx-limited"])
def limited(x: int) -> int:
    return x


@flow(name="mx-tag-limited")
def tag_limited() -> list[int]:
    return [future.result() for future in limited.map([1, 2, 3])]


@flow(name="mx-to-cancel")
def to_cancel() -> None:
    pass


@action("tag-limit-create")
def tag_limit_create() -> object:
    limit = client_call(lambda c: c.create_concurrency_limit(tag="mx-limited", concurrency_limit=1))
    return str(limit)


@action("tag-limit-read")
def tag_limit_read() -> object:
    limit = client_call(lambda c: c.read_concurrency_limit_by_tag("mx-limited"))
    return {"tag": limit.tag, "concurrency_limit": limit.concurrency_limit}


@action("tag-limit-tasks-run")
def tag_limit_tasks_run() -> object:
    return ran(tag_limited)


@action("tag-limit-list")
def tag_limit_list() -> object:
    limits = client_call(lambda c: c.read_concurrency_limits(limit=10, offset=0))
    return sorted(limit.tag for limit in limits)


@action("tag-limit-reset")
def tag_limit_reset() -> object:
    return client_call(lambda c: c.reset_concurrency_limit_by_tag("mx-limited"))


@action("tag-limit-delete")
def tag_limit_delete() -> object:
    client_call(lambda c: c.create_concurrency_limit(tag="mx-dropped", concurrency_limit=2))
    client_call(lambda c: c.delete_concurrency_limit_by_tag("mx-dropped"))
    return raised(lambda: client_call(lambda c: c.read_concurrency_limit_by_tag("mx-dropped")))


@action("global-limit-create")
def global_limit_create() -> object:
    body = GlobalConcurrencyLimitCreate(name="mx-global", limit=2)
    return str(client_call(lambda c: c.create_global_concurrency_limit(body)))


@action("global-limit-occupy")
def global_limit_occupy() -> object:
    with concurrency("mx-global", occupy=2):
        inside = client_call(lambda c: c.read_global_concurrency_limit_by_name("mx-global"))
    after = client_call(lambda c: c.read_global_concurrency_limit_by_name("mx-global"))
    return {"inside": inside.active_slots, "after": after.active_slots}


@action("global-limit-update")
def global_limit_update() -> object:
    update = GlobalConcurrencyLimitUpdate(limit=5, active=False)
    client_call(lambda c: c.update_global_concurrency_limit("mx-global", update))
    limit = client_call(lambda c: c.read_global_concurrency_limit_by_name("mx-global"))
    return {"limit": limit.limit, "active": limit.active}


@action("global-limit-strict-missing")
def global_limit_strict_missing() -> object:
    def enter() -> None:
        with concurrency("mx-no-such-limit", occupy=1, strict=True):
            pass

    return raised(enter)


@action("global-limit-delete")
def global_limit_delete() -> object:
    body = GlobalConcurrencyLimitCreate(name="mx-global-gone", limit=1)
    client_call(lambda c: c.create_global_concurrency_limit(body))
    client_call(lambda c: c.delete_global_concurrency_limit_by_name("mx-global-gone"))
    gone = raised(
        lambda: client_call(lambda c: c.read_global_concurrency_limit_by_name("mx-global-gone"))
    )
    return gone


@action("rate-limit")
def rate_limit_action() -> object:
    body = GlobalConcurrencyLimitCreate(name="mx-rate", limit=3, slot_decay_per_second=10.0)
    client_call(lambda c: c.create_global_concurrency_limit(body))
    for _ in range(4):
        rate_limit("mx-rate")
    limit = client_call(lambda c: c.read_global_concurrency_limit_by_name("mx-rate"))
    return {"limit": limit.limit, "slot_decay_per_second": limit.slot_decay_per_second}


@action("event-emit")
def event_emit() -> object:
    event = emit_event(
        "mx.custom.happened",
        resource={"prefect.resource.id": "mx.resource.1", "mx-label": "yes"},
        related=[{"prefect.resource.id": "mx.related.1", "prefect.resource.role": "mx-role"}],
        payload={"answer": 42},
    )
    return None if event is None else str(event.id)


@action("event-emit-several")
def event_emit_several() -> object:
    ids = [
        emit_event("mx.counted", resource={"prefect.resource.id": f"mx.counted.{i}"})
        for i in range(3)
    ]
    return len([event for event in ids if event is not None])


@action("cancel-scheduled-run")
def cancel_scheduled_run() -> object:
    async def go(client):  # type: ignore[no-untyped-def]
        later = Scheduled(scheduled_time=now("UTC") + timedelta(hours=1))
        run = await client.create_flow_run(to_cancel, state=later)
        result = await client.set_flow_run_state(run.id, Cancelling())
        return {"flow_run_id": str(run.id), "status": result.status.value}

    return client_call(go)


@action("cancel-to-cancelled")
def cancel_to_cancelled() -> object:
    async def go(client):  # type: ignore[no-untyped-def]
        later = Scheduled(scheduled_time=now("UTC") + timedelta(hours=1))
        run = await client.create_flow_run(to_cancel, state=later)
        result = await client.set_flow_run_state(run.id, Cancelled())
        return {"flow_run_id": str(run.id), "status": result.status.value}

    return client_call(go)


if __name__ == "__main__":
    run_actions()
