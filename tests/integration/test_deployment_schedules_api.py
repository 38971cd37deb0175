"""Deployment schedules: interval, cron and rrule with their time zones, stored as the client
serialises them; bad expressions and zones refused by name; each change removes the runs the
scheduler made from the old schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient

from models.coordination.deployments import DeploymentSchedule
from tests.integration.test_deployments_api import (
    add_run,
    count_rows,
    create_deployment,
    create_flow,
    remaining_runs,
)


async def schedules_of(api: TestClient, deployment_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/deployments/{deployment_id}/schedules")
    assert response.status == 200, await response.text()
    return await response.json()


async def test_each_kind_of_schedule_is_stored_as_prefect_serialises_it(api: TestClient) -> None:
    flow_id = await create_flow(api)
    sent_and_stored = [
        (
            {"interval": 3600, "anchor_date": "2026-03-01T09:00:00-05:00",
             "timezone": "America/New_York"},
            {"interval": 3600.0, "anchor_date": "2026-03-01T09:00:00-05:00",
             "timezone": "America/New_York"},
        ),
        # A duration as ISO 8601; an anchor with an offset only: zone UTC, offset kept.
        (
            {"interval": "PT15M", "anchor_date": "2026-01-01T00:00:00+02:00"},
            {"interval": 900.0, "anchor_date": "2026-01-01T00:00:00+02:00", "timezone": "UTC"},
        ),
        (
            {"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "day_or": False},
            {"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "day_or": False},
        ),
        ({"cron": "*/5 * * * *"}, {"cron": "*/5 * * * *", "timezone": None, "day_or": True}),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=8", "timezone": "Asia/Tokyo"},
            {"rrule": "DTSTART:20200101T000000\nFREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=8",
             "timezone": "Asia/Tokyo"},
        ),
        (
            {"rrule": "DTSTART:20260101T080000\nRRULE:FREQ=DAILY"},
            {"rrule": "DTSTART:20260101T080000\nRRULE:FREQ=DAILY", "timezone": "UTC"},
        ),
    ]  # fmt: skip
    deployment = await create_deployment(
        api,
        flow_id,
        schedules=[
            {"schedule": sent, "slug": f"s{i}", "active": i % 2 == 0,
             "max_scheduled_runs": 5, "parameters": {"i": i}}
            for i, (sent, _) in enumerate(sent_and_stored)
        ],
    )  # fmt: skip
    # Listed most recently changed first: a batch, the last given first, as the reference.
    assert [s["schedule"] for s in deployment["schedules"]] == [
        stored for _, stored in reversed(sent_and_stored)
    ]
    listed = await schedules_of(api, deployment["id"])
    assert listed == deployment["schedules"]
    assert [(s["slug"], s["active"], s["parameters"]) for s in listed][-2:] == [
        ("s1", False, {"i": 1}),
        ("s0", True, {"i": 0}),
    ]
    assert {s["max_scheduled_runs"] for s in listed} == {5}


async def test_bad_schedules_are_422_naming_what_is_wrong_and_nothing_is_written(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(api, flow_id)
    for schedule, named in (
        ({"cron": "61 * * * *"}, 'Invalid cron string: "61 * * * *"'),
        ({"cron": "not a cron"}, 'Invalid cron string: "not a cron"'),
        ({"cron": "H * * * *"}, 'Invalid cron string: "H * * * *"'),
        ({"cron": "R * * * *"}, "Random and Hashed expressions are unsupported"),
        ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, 'Invalid timezone: "Mars/Olympus"'),
        ({"interval": 60, "timezone": "Nowhere"}, 'Invalid timezone: "Nowhere"'),
        ({"interval": -5}, "The interval must be positive"),
        ({"interval": 0}, "The interval must be positive"),
        ({"rrule": "FREQ=SOMETIMES"}, 'Invalid RRule string "FREQ=SOMETIMES"'),
        ({"rrule": "FREQ=DAILY", "timezone": "Atlantis"}, 'Invalid timezone: "Atlantis"'),
        ({"every": 5}, "one of the keys interval, cron or rrule"),
    ):
        created = await api.post(
            "/api/deployments/",
            json={"name": "bad", "flow_id": flow_id, "schedules": [{"schedule": schedule}]},
        )
        added = await api.post(
            f"/api/deployments/{deployment['id']}/schedules", json=[{"schedule": schedule}]
        )
        for response in (created, added):
            assert response.status == 422, schedule
            assert named in str((await response.json())["detail"]), schedule
    negative = await api.post(
        f"/api/deployments/{deployment['id']}/schedules",
        json=[{"schedule": {"interval": 60}, "max_scheduled_runs": -1}],
    )
    assert negative.status == 422 and "detail" in await negative.json()
    assert await count_rows(api, DeploymentSchedule) == 0
    listed = await (await api.post("/api/deployments/filter", json={})).json()
    assert [d["name"] for d in listed] == ["my-dep"]


async def test_schedules_are_added_changed_and_deleted_one_by_one(api: TestClient) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(api, flow_id)
    url = f"/api/deployments/{deployment['id']}/schedules"
    added = await api.post(
        url,
        json=[
            {"schedule": {"interval": 60}, "slug": "minute"},
            {"schedule": {"cron": "0 0 * * *"}, "slug": "daily", "active": False},
        ],
    )
    assert added.status == 201, await added.text()
    minute, daily = await added.json()
    assert (minute["slug"], daily["active"]) == ("minute", False)

    taken = await api.post(url, json=[{"schedule": {"interval": 5}, "slug": "minute"}])
    assert (taken.status, await taken.json()) == (
        409,
        {"detail": "Schedule slugs must be unique within a deployment."},
    )

    patched = await api.patch(
        f"{url}/{daily['id']}",
        json={"active": True, "schedule": {"cron": "30 6 * * *", "timezone": "Europe/Berlin"}},
    )
    assert patched.status == 204
    [changed, _] = await schedules_of(api, deployment["id"])  # the changed one first
    assert changed["active"] is True and changed["slug"] == "daily"
    assert changed["schedule"] == {
        "cron": "30 6 * * *",
        "timezone": "Europe/Berlin",
        "day_or": True,
    }
    bad = await api.patch(f"{url}/{daily['id']}", json={"schedule": {"cron": "99 * * * *"}})
    assert bad.status == 422 and "Invalid cron string" in str((await bad.json())["detail"])

    assert (await api.delete(f"{url}/{minute['id']}")).status == 204
    assert [s["id"] for s in await schedules_of(api, deployment["id"])] == [daily["id"]]
    for response in (
        await api.delete(f"{url}/{minute['id']}"),
        await api.patch(f"{url}/{uuid4()}", json={"active": False}),
    ):
        assert (response.status, await response.json()) == (404, {"detail": "Schedule not found."})
    other = await api.get(f"/api/deployments/{uuid4()}/schedules")
    assert (other.status, await other.json()) == (404, {"detail": "Deployment not found."})


async def test_every_schedule_change_removes_the_future_auto_scheduled_runs(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(
        api, flow_id, schedules=[{"schedule": {"interval": 60}, "slug": "a"}]
    )
    url = f"/api/deployments/{deployment['id']}/schedules"
    [schedule] = await schedules_of(api, deployment["id"])
    soon = datetime.now(UTC) + timedelta(minutes=10)
    past = datetime.now(UTC) - timedelta(minutes=10)

    async def change_removes_runs(change: Any) -> None:
        future = await add_run(api, flow_id, deployment["id"], soon)
        overdue = await add_run(api, flow_id, deployment["id"], past)
        manual = await add_run(api, flow_id, deployment["id"], soon, auto=False)
        response = await change()
        assert response.status in (200, 201, 204), await response.text()
        assert await remaining_runs(api, [future, overdue, manual]) == {overdue, manual}

    async def updated() -> str:
        return str(
            (await (await api.get(f"/api/deployments/{deployment['id']}")).json())["updated"]
        )

    before = await updated()
    await change_removes_runs(lambda: api.patch(f"{url}/{schedule['id']}", json={"active": False}))
    # The deployment reads as changed, so the scheduler fills its runs in again at once.
    assert await updated() > before
    await change_removes_runs(lambda: api.post(url, json=[{"schedule": {"interval": 30}}]))
    [second, _] = await schedules_of(api, deployment["id"])  # the new one first
    await change_removes_runs(lambda: api.delete(f"{url}/{second['id']}"))
    await change_removes_runs(
        lambda: api.patch(
            f"/api/deployments/{deployment['id']}",
            json={"schedules": [{"schedule": {"interval": 120}, "slug": "a"}]},
        )
    )
    # Matched by slug, the schedule is the same one, changed.
    [kept] = await schedules_of(api, deployment["id"])
    assert (kept["id"], kept["schedule"]["interval"]) == (schedule["id"], 120.0)


async def test_posting_a_deployment_again_keeps_schedules_matched_by_slug(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    first = await create_deployment(
        api,
        flow_id,
        schedules=[
            {"schedule": {"interval": 60}, "slug": "keep"},
            {"schedule": {"interval": 90}, "slug": "drop"},
        ],
    )
    again = await create_deployment(
        api,
        flow_id,
        expect=200,
        schedules=[
            {"schedule": {"cron": "0 * * * *"}, "slug": "keep"},
            {"schedule": {"rrule": "FREQ=HOURLY"}, "slug": "new"},
        ],
    )
    keep = next(s for s in first["schedules"] if s["slug"] == "keep")
    assert [(s["slug"], s["id"] == keep["id"]) for s in again["schedules"]] == [
        ("new", False),
        ("keep", True),
    ]
    twice = await api.post(
        "/api/deployments/",
        json={
            "name": "my-dep",
            "flow_id": flow_id,
            "schedules": [
                {"schedule": {"interval": 60}, "slug": "same"},
                {"schedule": {"interval": 90}, "slug": "same"},
            ],
        },
    )
    assert twice.status == 409
    assert await count_rows(api, DeploymentSchedule) == 2


async def test_a_patch_matches_schedules_by_slug_as_the_reference(api: TestClient) -> None:
    flow_id = await create_flow(api)
    deployment = await create_deployment(
        api,
        flow_id,
        schedules=[
            {"schedule": {"interval": 60}, "slug": "a"},
            {"schedule": {"interval": 90}, "slug": "b"},
        ],
    )
    url = f"/api/deployments/{deployment['id']}"
    ids = {s["slug"]: s["id"] for s in deployment["schedules"]}
    patched = await api.patch(
        url,
        json={
            "schedules": [
                {"slug": "a", "active": False},  # changed in place, its schedule kept
                {"slug": "renamed", "replaces": "b", "schedule": {"cron": "0 1 * * *"}},
                {"slug": "c", "schedule": {"rrule": "FREQ=DAILY"}},
            ]
        },
    )
    assert patched.status == 204, await patched.text()
    after = {s["slug"]: s for s in await schedules_of(api, deployment["id"])}
    assert set(after) == {"a", "renamed", "c"}
    assert (after["a"]["id"], after["a"]["active"]) == (ids["a"], False)
    assert after["a"]["schedule"]["interval"] == 60.0
    assert (after["renamed"]["id"], after["renamed"]["schedule"]["cron"]) == (ids["b"], "0 1 * * *")

    for schedules, detail in (
        ([{"schedule": {"interval": 5}}], "Please provide a slug for each schedule"),
        ([{"slug": "new-without-schedule"}], "without a schedule configuration"),
    ):
        refused = await api.patch(url, json={"schedules": schedules})
        assert refused.status == 422
        assert detail in (await refused.json())["detail"]
    assert len(await schedules_of(api, deployment["id"])) == 3

    # Without slugs, the schedules sent replace them all.
    bare = await create_deployment(api, flow_id, "bare", schedules=[{"schedule": {"interval": 5}}])
    replaced = await api.patch(
        f"/api/deployments/{bare['id']}", json={"schedules": [{"schedule": {"interval": 7}}]}
    )
    assert replaced.status == 204
    [only] = await schedules_of(api, bare["id"])
    assert only["schedule"]["interval"] == 7.0 and only["id"] != bare["schedules"][0]["id"]
