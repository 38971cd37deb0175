"""The events API: stored events read back by filter, a page at a time, and counted."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from tests.integration.test_events_websocket import send_confirmed
from tests.running import Drain

NOW = datetime.now(UTC).replace(microsecond=0)
#: Well inside the default range (the last 180 days) and before "now" at any test's start.
START = NOW - timedelta(days=2)


def now() -> datetime:
    return datetime.now(UTC)


def event(
    name: str,
    resource: str | dict[str, str],
    *,
    minutes: float,
    related: list[dict[str, str]] | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event `minutes` after START, as the client sends it."""
    labels = {"prefect.resource.id": resource} if isinstance(resource, str) else resource
    return {
        "id": str(uuid4()),
        "occurred": (START + timedelta(minutes=minutes)).isoformat(),
        "event": name,
        "resource": labels,
        "related": related or [],
        "payload": payload or {},
    }


def flow_run(name: str = "brave-otter") -> dict[str, str]:
    return {
        "prefect.resource.id": f"prefect.flow-run.{uuid4()}",
        "prefect.resource.role": "flow-run",
        "prefect.resource.name": name,
    }


def tag(name: str) -> dict[str, str]:
    return {"prefect.resource.id": f"prefect.tag.{name}", "prefect.resource.role": "tag"}


async def store(api: TestClient, drain: Drain, events: list[dict[str, Any]]) -> None:
    await send_confirmed(api, events)
    await drain()


async def read(api: TestClient, filter: dict[str, Any] | None, limit: int | None = None) -> dict:
    body: dict[str, Any] = {"filter": filter}
    if limit is not None:
        body["limit"] = limit
    response = await api.post("/api/events/filter", json=body)
    assert response.status == 200, await response.text()
    return await response.json()


async def names(api: TestClient, filter: dict[str, Any]) -> list[str]:
    return [event["event"] for event in (await read(api, filter))["events"]]


@pytest.fixture
async def sample(api: TestClient, drain: Drain) -> dict[str, dict[str, Any]]:
    """Five events about two reports, a deployment and a task run, one minute apart."""
    otter, heron = flow_run("brave-otter"), flow_run("calm-heron")
    events = {
        "published": event(
            "acme.report.published",
            {"prefect.resource.id": "acme.report.1", "prefect.resource.name": "weekly"},
            minutes=0,
            related=[otter, tag("finance")],
            payload={"pages": 12, "note": "Quarterly Numbers"},
        ),
        "archived": event(
            "acme.report.archived",
            {"prefect.resource.id": "acme.report.2", "prefect.resource.name": "daily"},
            minutes=1,
            related=[heron],
        ),
        "failed": event(
            "prefect.task-run.Failed",
            f"prefect.task-run.{uuid4()}",
            minutes=2,
            related=[otter, tag("etl")],
            payload={"message": "connection timeout"},
        ),
        "created": event("prefect.deployment.created", "prefect.deployment.9", minutes=3),
        "republished": event(
            "acme.report.published",
            {"prefect.resource.id": "acme.report.1", "prefect.resource.name": "weekly-v2"},
            minutes=4,
            related=[tag("finance"), tag("etl")],
        ),
    }
    await store(api, drain, list(events.values()))
    return events


async def test_every_stored_event_is_read_back_newest_first_as_it_was_sent(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    page = await read(api, None)
    assert page["total"] == 5 and page["next_page"] is None
    assert [event["id"] for event in page["events"]] == [
        sample[key]["id"] for key in ("republished", "created", "failed", "archived", "published")
    ]
    published = page["events"][-1]
    sent = sample["published"]
    assert list(published) == [
        "occurred", "event", "resource", "related", "payload", "id", "follows", "received"
    ]  # fmt: skip
    assert (published["resource"], published["related"]) == (sent["resource"], sent["related"])
    assert published["payload"] == sent["payload"] and published["follows"] is None
    assert datetime.fromisoformat(published["occurred"]) == START
    assert datetime.fromisoformat(published["received"]) > START


async def test_an_ascending_order_reads_oldest_first(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    events = (await read(api, {"order": "ASC"}))["events"]
    assert [event["id"] for event in events][:2] == [
        sample["published"]["id"],
        sample["archived"]["id"],
    ]


async def test_event_names_filter_by_name_prefix_and_exclusions(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    assert await names(api, {"event": {"prefix": ["acme.report."]}, "order": "ASC"}) == [
        "acme.report.published",
        "acme.report.archived",
        "acme.report.published",
    ]
    assert await names(api, {"event": {"name": ["acme.report.archived"]}}) == [
        "acme.report.archived"
    ]
    remaining = await names(
        api, {"event": {"exclude_prefix": ["acme."], "exclude_name": ["prefect.task-run.Failed"]}}
    )
    assert remaining == ["prefect.deployment.created"]
    # Empty lists say nothing, as in the client's default filter.
    assert len(await names(api, {"event": {"name": []}, "id": {"id": []}})) == 5


async def test_the_time_range_includes_both_ends(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    since, until = START + timedelta(minutes=1), START + timedelta(minutes=3)
    found = await names(api, {"occurred": {"since": since.isoformat(), "until": until.isoformat()}})
    assert found == [
        "prefect.deployment.created",
        "prefect.task-run.Failed",
        "acme.report.archived",
    ]
    # A time without an offset is UTC.
    naive = (START + timedelta(minutes=3, seconds=30)).replace(tzinfo=None).isoformat()
    assert len(await names(api, {"occurred": {"since": naive}})) == 1


async def test_the_resource_filters_by_id_prefix_and_labels_with_wildcards(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    assert await names(api, {"resource": {"id": ["prefect.deployment.9"]}}) == [
        "prefect.deployment.created"
    ]
    assert len(await names(api, {"resource": {"id_prefix": ["acme.report."]}})) == 3
    labelled = {"resource": {"labels": {"prefect.resource.name": "week*"}}}
    assert len(await names(api, labelled)) == 2
    negated = {"resource": {"labels": {"prefect.resource.name": ["!week*"]}}}
    # A resource without the label matches no pattern, a negated one included.
    assert await names(api, negated) == ["acme.report.archived"]
    by_id_pattern = {"resource": {"labels": {"prefect.resource.id": ["acme.report.?"]}}}
    assert len(await names(api, by_id_pattern)) == 3
    assert await names(api, {"resource": {"labels": {"prefect.resource.name": []}}}) == []


async def test_one_related_resource_must_meet_every_related_criterion(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    otter = sample["published"]["related"][0]["prefect.resource.id"]
    assert len(await names(api, {"related": {"id": [otter]}})) == 2
    assert len(await names(api, {"related": {"role": ["tag"]}})) == 3
    tagged_etl = {"related": {"resources_in_roles": [["prefect.tag.etl", "tag"]]}}
    assert await names(api, tagged_etl) == ["acme.report.published", "prefect.task-run.Failed"]
    # The otter flow run is not a tag: no single related resource meets both.
    assert await names(api, {"related": {"id": [otter], "role": ["tag"]}}) == []
    by_name = {"related": {"labels": {"prefect.resource.name": "calm-*"}}}
    assert await names(api, by_name) == ["acme.report.archived"]
    by_role_label = {"related": {"labels": {"prefect.resource.role": "flow-run"}}}
    assert len(await names(api, by_role_label)) == 3
    # A list of related filters: each must be met, each by some related resource.
    both = {"related": [{"id": [otter]}, {"id": ["prefect.tag.etl"]}]}
    assert await names(api, both) == ["prefect.task-run.Failed"]


async def test_any_resource_is_the_event_s_own_or_a_related_one(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    finance = {"any_resource": {"id": ["prefect.tag.finance"]}}
    assert await names(api, finance) == ["acme.report.published", "acme.report.published"]
    reports = {"any_resource": {"id_prefix": ["acme.report."]}}
    assert len(await names(api, reports)) == 3
    otters = {"any_resource": {"labels": {"prefect.resource.name": ["brave-*", "daily"]}}}
    assert len(await names(api, otters)) == 3
    both = {"any_resource": [{"id": ["prefect.tag.finance"]}, {"id": ["prefect.tag.etl"]}]}
    assert await names(api, both) == ["acme.report.published"]


async def test_ids_and_text_search_filter_events(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    wanted = [sample["created"]["id"], sample["archived"]["id"], str(uuid4())]
    page = await read(api, {"id": {"id": wanted}})
    assert {event["id"] for event in page["events"]} == set(wanted[:2])
    # Any plain term, in any case, in the name, the resources or the payload...
    assert await names(api, {"text": {"query": "QUARTERLY deployment"}}) == [
        "prefect.deployment.created",
        "acme.report.published",
    ]
    # ...a quoted phrase, required (+) and excluded (-, !) terms.
    assert await names(api, {"text": {"query": '"connection timeout"'}}) == [
        "prefect.task-run.Failed"
    ]
    assert await names(api, {"text": {"query": "+report +finance -weekly-v2"}}) == [
        "acme.report.published"
    ]
    assert len(await names(api, {"text": {"query": "!acme"}})) == 2
    # LIKE's own wildcards are plain characters in a search.
    assert await names(api, {"text": {"query": "acme%report"}}) == []


async def test_pages_follow_one_another_until_the_last(api: TestClient, drain: Drain) -> None:
    events = [event("acme.tick", f"acme.clock.{n % 2}", minutes=n / 60) for n in range(7)]
    await store(api, drain, events)

    seen: list[str] = []
    page = await read(api, {"event": {"name": ["acme.tick"]}, "order": "ASC"}, limit=3)
    while True:
        assert page["total"] == 7
        seen.extend(event["id"] for event in page["events"])
        if page["next_page"] is None:
            break
        url = URL(page["next_page"])
        assert url.path == "/api/events/filter/next" and "page-token" in url.query
        response = await api.get(url.path_qs)
        assert response.status == 200
        page = await response.json()
    assert seen == [event["id"] for event in events]

    # An event that occurs later does not shift the pages of a query already under way:
    # its `until` was fixed by the first page.
    first = await read(api, {"event": {"name": ["acme.tick"]}}, limit=5)
    later = {**event("acme.tick", "acme.clock.0", minutes=0), "occurred": now().isoformat()}
    await store(api, drain, [later])
    rest = await (await api.get(URL(first["next_page"]).path_qs)).json()
    assert [e["id"] for e in first["events"] + rest["events"]] == [
        e["id"] for e in reversed(events)
    ]


async def test_a_page_size_of_zero_answers_no_events_but_the_total(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    page = await read(api, None, limit=0)
    assert (page["events"], page["total"]) == ([], 5)


async def test_distinct_resources_keep_one_event_each(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    page = await read(api, {"resource": {"id_prefix": ["acme.report."], "distinct": True}})
    # Newest first: the latest event of each report.
    assert page["total"] == 2
    assert [event["id"] for event in page["events"]] == [
        sample["republished"]["id"],
        sample["archived"]["id"],
    ]


async def test_a_page_token_that_is_not_one_is_forbidden(api: TestClient) -> None:
    oversized = base64.urlsafe_b64encode(
        json.dumps({"filter": {}, "count": 9, "page_size": 10_000, "offset": 0}).encode()
    ).decode()
    for token in ["not-base64!", "", "eyJ4IjogMX0=", oversized]:  # eyJ…: {"x": 1}
        response = await api.get(f"/api/events/filter/next?page-token={token}")
        assert response.status == 403
        assert (await response.json())["detail"] == "Forbidden"
    missing = await api.get("/api/events/filter/next")
    assert missing.status == 422 and "page-token" in (await missing.json())["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"event": {"names": ["x"]}}},  # not a field of the filter
        {"filter": {"order": "SIDEWAYS"}},
        {"filter": {"occurred": {"since": "yesterday"}}},
        {"filter": {"id": {"id": ["not-a-uuid"]}}},
        {"filter": {"text": {"query": "x" * 201}}},
        {"filter": {"resource": {"labels": {"a": 1}}}},
        {"filter": {"event": {"name": ["a\x00b"]}}},
        {"filter": {"occurred": {"since": "0001-01-01T00:00:00+01:00"}}},
        {"limit": 51},
        {"limit": -1},
        [],
    ],
)
async def test_a_bad_filter_body_is_a_422_with_a_detail(api: TestClient, body: Any) -> None:
    response = await api.post("/api/events/filter", json=body)
    assert response.status == 422
    assert (await response.json())["detail"]


async def test_counts_by_event_name_and_by_resource_most_counted_first(
    api: TestClient, sample: dict[str, dict[str, Any]]
) -> None:
    by_name = await count(api, "event", {})
    assert [(c["value"], c["label"], c["count"]) for c in by_name] == [
        ("acme.report.published", "acme.report.published", 2),
        ("acme.report.archived", "acme.report.archived", 1),
        ("prefect.deployment.created", "prefect.deployment.created", 1),
        ("prefect.task-run.Failed", "prefect.task-run.Failed", 1),
    ]
    published = by_name[0]
    assert datetime.fromisoformat(published["start_time"]) == START
    assert datetime.fromisoformat(published["end_time"]) == START + timedelta(minutes=4)

    by_resource = await count(api, "resource", {"event": {"prefix": ["acme."]}})
    # A resource is labelled with its latest name.
    assert [(c["value"], c["label"], c["count"]) for c in by_resource] == [
        ("acme.report.1", "weekly-v2", 2),
        ("acme.report.2", "daily", 1),
    ]
    unnamed = await count(api, "resource", {"event": {"prefix": ["prefect.deployment."]}})
    assert unnamed[0]["label"] == "prefect.deployment.9"


async def count(
    api: TestClient, countable: str, filter: dict[str, Any], **body: Any
) -> list[dict[str, Any]]:
    response = await api.post(f"/api/events/count-by/{countable}", json={"filter": filter, **body})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_counts_by_time_answer_every_bucket_of_the_range_from_the_pivot(
    api: TestClient, drain: Drain
) -> None:
    # 10-minute buckets, counted from Monday 2024-04-01 UTC: 18:00, 18:10, 18:20, 18:30.
    base = datetime(2025, 3, 4, 18, 0, tzinfo=UTC)
    at = [base + timedelta(minutes=m) for m in (0, 9.99, 10, 35)]
    events = [
        {**event("acme.tick", "acme.clock", minutes=0), "occurred": t.isoformat()} for t in at
    ]
    await store(api, drain, events)

    since, until = base + timedelta(minutes=5), base + timedelta(minutes=39)
    filter = {"occurred": {"since": since.isoformat(), "until": until.isoformat()}}
    buckets = await count(api, "time", filter, time_unit="minute", time_interval=10)
    assert [(b["value"], b["count"]) for b in buckets] == [("0", 1), ("1", 1), ("2", 0), ("3", 1)]
    assert buckets[0]["label"] == "2025-03-04T18:00:00+00:00"
    assert datetime.fromisoformat(buckets[0]["start_time"]) == base
    assert datetime.fromisoformat(buckets[0]["end_time"]) == base + timedelta(
        minutes=10, microseconds=-1
    )
    # The first bucket holds `since` (18:05): the event at 18:00 is outside the range.
    by_day = await count(api, "day", filter)
    assert [(b["value"], b["count"], b["label"]) for b in by_day] == [
        ("0", 3, "2025-03-04T00:00:00+00:00")
    ]


async def test_a_range_of_too_many_buckets_is_a_422_with_the_reason(api: TestClient) -> None:
    filter = {"occurred": {"since": "2025-01-01T00:00:00Z", "until": "2025-01-02T00:00:00Z"}}
    response = await api.post(
        "/api/events/count-by/event", json={"filter": filter, "time_unit": "minute"}
    )
    assert response.status == 422
    assert "would create 1440 buckets" in (await response.json())["detail"]


@pytest.mark.parametrize(
    ("countable", "body"),
    [
        ("colour", {"filter": {}}),
        ("event", {}),  # the filter is required here
        ("time", {"filter": {}, "time_unit": "fortnight"}),
        ("time", {"filter": {}, "time_interval": 0.001}),
        ("time", {"filter": {"extra": True}}),
        # Buckets of a week and a half from the pivot: the first would start before year 1.
        (
            "time",
            {
                "filter": {
                    "occurred": {"since": "0001-01-02T00:00:00Z", "until": "0001-01-03T00:00:00Z"}
                },
                "time_unit": "week",
                "time_interval": 1.5,
            },
        ),
    ],
)
async def test_a_bad_count_request_is_a_422_with_a_detail(
    api: TestClient, countable: str, body: dict[str, Any]
) -> None:
    response = await api.post(f"/api/events/count-by/{countable}", json=body)
    assert response.status == 422
    assert (await response.json())["detail"]
