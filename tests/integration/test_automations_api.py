"""Automations through the API, as Prefect 3's server answers: create, read, replace, pause
and resume, delete, filter, count, related-to and owned-by, and the bodies it refuses."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient

from api import keys
from models.automations.store import automations_version, enabled_automations
from models.automations.tables import Automation
from models.coordination.work_pools import WorkPool
from models.db.database import Database
from models.notifications.policies import NotificationPolicy
from models.schemas.automation_triggers import EventTrigger, Posture
from tests.integration.notifications.scenario import create_block
from tests.integration.test_deployments_api import add_pool, create_deployment, create_flow


def automation_body(name: str = "failed flows", **fields: Any) -> dict[str, Any]:
    """What the 3.9.1 client sends for an automation (its `model_dump(mode="json")`)."""
    return {
        "name": name,
        "description": "",
        "enabled": True,
        "tags": [],
        "trigger": {
            "type": "event",
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": {},
            "after": [],
            "expect": ["prefect.flow-run.Failed"],
            "for_each": [],
            "posture": "Reactive",
            "threshold": 1,
            "within": 0.0,
        },
        "actions": [{"type": "do-nothing"}],
        "actions_on_trigger": [],
        "actions_on_resolve": [],
        "owner_resource": None,
        **fields,
    }


def update_body(name: str = "failed flows", **fields: Any) -> dict[str, Any]:
    """What the client sends to replace one: the same, without `owner_resource`."""
    body = automation_body(name, **fields)
    del body["owner_resource"]
    return body


async def create(api: TestClient, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/automations/", json=automation_body(**fields))
    assert response.status == 201, await response.text()
    return await response.json()


async def names_of(api: TestClient, body: dict[str, Any] | None = None) -> list[str]:
    response = await api.post("/api/automations/filter", json=body or {})
    assert response.status == 200, await response.text()
    return [automation["name"] for automation in await response.json()]


async def test_an_automation_is_created_read_replaced_paused_resumed_and_deleted(
    api: TestClient,
) -> None:
    sent_trigger_id = str(uuid4())
    body = automation_body(tags=["ops"])
    body["trigger"]["id"] = sent_trigger_id
    response = await api.post("/api/automations/", json=body)
    assert response.status == 201, await response.text()
    created = await response.json()
    assert set(created) == set(automation_body()) - {"owner_resource"} | {
        "id",
        "created",
        "updated",
    }
    assert created["trigger"]["id"] != sent_trigger_id  # the server gives triggers new ids
    assert created["trigger"]["within"] == 0.0 and created["tags"] == ["ops"]
    url = f"/api/automations/{created['id']}"
    assert await (await api.get(url)).json() == created

    replaced = update_body("renamed", description="now proactive")
    replaced["trigger"] = {
        "posture": "Proactive",
        "expect": ["prefect.flow-run.Completed"],
        "after": ["prefect.flow-run.Running"],
        "for_each": ["prefect.resource.id"],
        "within": 3600,
    }
    assert (await api.put(url, json=replaced)).status == 204
    read = await (await api.get(url)).json()
    assert (read["name"], read["description"]) == ("renamed", "now proactive")
    assert read["trigger"]["posture"] == "Proactive" and read["trigger"]["within"] == 3600.0
    assert read["trigger"]["id"] != created["trigger"]["id"]
    assert read["created"] == created["created"] and read["updated"] > created["updated"]

    assert (await api.patch(url, json={"enabled": False})).status == 204
    assert (await (await api.get(url)).json())["enabled"] is False
    assert (await api.patch(url, json={"enabled": True})).status == 204
    assert (await (await api.get(url)).json())["enabled"] is True

    assert (await api.delete(url)).status == 204
    for response in (
        await api.get(url),
        await api.delete(url),
        await api.put(url, json=replaced),
        await api.patch(url, json={"enabled": False}),
    ):
        assert response.status == 404
        assert await response.json() == {
            "detail": "Automation not found",
            "exception_message": "Automation not found",  # what Prefect's server answers
        }
    assert (await api.get("/api/automations/not-a-uuid")).status == 404


async def test_a_replace_leaves_what_it_does_not_send_as_it_was(api: TestClient) -> None:
    created = await create(api, description="kept", tags=["kept"], enabled=False)
    url = f"/api/automations/{created['id']}"
    sent = {"name": "renamed", "trigger": {"posture": "Reactive"}, "actions": []}
    assert (await api.put(url, json=sent)).status == 204
    read = await (await api.get(url)).json()
    assert (read["name"], read["actions"], read["trigger"]["expect"]) == ("renamed", [], [])
    assert (read["description"], read["tags"], read["enabled"]) == ("kept", ["kept"], False)


async def test_bodies_prefects_server_refuses_are_422_with_a_detail_naming_the_field(
    api: TestClient,
) -> None:
    trigger = automation_body()["trigger"]
    for body, named in (
        (automation_body(trigger={**trigger, "posture": "Sideways"}), "posture"),
        (automation_body(trigger={**trigger, "posture": "Metric"}), "posture"),
        (automation_body(trigger={**trigger, "within": -5}), "within"),
        (automation_body(actions=[{"type": "launch-rocket"}]), "launch-rocket"),
        (automation_body(actions=[{"type": "run-deployment"}]), "deployment_id"),
        (
            automation_body(actions=[{"type": "pause-work-queue", "source": "selected"}]),
            "work_queue_id",
        ),
        (
            automation_body(
                trigger={"type": "compound", "require": 2, "within": None, "triggers": [trigger]}
            ),
            "require",
        ),
        (
            automation_body(
                actions=[
                    {
                        "type": "send-notification",
                        "block_document_id": str(uuid4()),
                        "body": "{% if %}",
                    }
                ]
            ),
            "body",
        ),
        (automation_body(unknown_key=1), "unknown_key"),
        # Neither of PostgreSQL's text types can hold these; refused on both databases.
        (automation_body(description="a\u0000b"), "NUL"),
        (automation_body(trigger={**trigger, "expect": ["x\u0000"]}), "NUL"),
        (automation_body(owner_resource="x" * 256), "owner_resource"),
        ({"trigger": trigger, "actions": []}, "name"),
    ):
        response = await api.post("/api/automations/", json=body)
        assert response.status == 422, (body, await response.text())
        assert named in str((await response.json())["detail"]), body
    assert await names_of(api) == []  # nothing refused was kept

    created = await create(api)
    url = f"/api/automations/{created['id']}"
    bad = update_body(trigger={**trigger, "within": None})
    assert (await api.put(url, json=bad)).status == 422
    assert (await api.patch(url, json={"enabled": "maybe"})).status == 422
    assert (await api.patch(url, json={"name": "x"})).status == 422
    assert (await api.put(url, json=automation_body())).status == 422  # owner_resource: create only
    assert (await (await api.get(url)).json())["trigger"] == created["trigger"]


async def test_resuming_an_automation_that_would_run_deployments_for_ever_is_refused(
    api: TestClient,
) -> None:
    looping = automation_body(
        enabled=False,
        trigger={"posture": "Reactive", "expect": ["prefect.flow-run.Running"]},
        actions=[{"type": "run-deployment", "source": "inferred"}],
    )
    created = await (await api.post("/api/automations/", json=looping)).json()
    response = await api.patch(f"/api/automations/{created['id']}", json={"enabled": True})
    assert response.status == 422
    assert "infinite loop" in str((await response.json())["detail"])
    assert (await (await api.get(f"/api/automations/{created['id']}")).json())["enabled"] is False


async def test_automations_are_filtered_sorted_paged_and_counted(api: TestClient) -> None:
    for name, tags in (("b", ["x"]), ("a", ["x", "y"]), ("c", [])):
        await create(api, name=name, tags=tags)
    assert await names_of(api) == ["a", "b", "c"]  # by name, unless said
    assert await names_of(api, {"sort": "NAME_DESC", "limit": 2}) == ["c", "b"]
    assert await names_of(api, {"sort": "CREATED_DESC", "offset": 1}) == ["a", "b"]
    assert await names_of(api, {"sort": "UPDATED_DESC", "limit": None, "automations": None}) == [
        "c",
        "a",
        "b",
    ]
    assert await names_of(api, {"automations": {"name": {"any_": ["a", "c"]}}}) == ["a", "c"]
    assert await names_of(api, {"automations": {"tags": {"all_": ["x", "y"]}}}) == ["a"]
    assert await names_of(api, {"automations": {"tags": {"is_null_": True}}}) == ["c"]
    before_any = "2000-01-01T00:00:00Z"
    assert await names_of(api, {"automations": {"created": {"before_": before_any}}}) == []

    async def count(body: dict[str, Any] | None) -> int:
        response = await api.post("/api/automations/count", json=body)
        assert response.status == 200, await response.text()
        return int(await response.json())

    assert await count(None) == 3
    assert await count({"automations": {"name": {"any_": ["b"]}}}) == 1
    assert (await api.post("/api/automations/filter", json={"sort": "SIDEWAYS"})).status == 422
    assert (await api.post("/api/automations/filter", json={"limit": 201})).status == 422


async def test_an_automation_is_related_to_the_deployments_it_runs_and_to_its_owner(
    api: TestClient,
) -> None:
    runs, other = uuid4(), uuid4()
    owner = f"prefect.deployment.{uuid4()}"
    run_action = {"type": "run-deployment", "source": "selected", "deployment_id": str(runs)}
    served = await create(api, name="served", owner_resource=owner, actions=[run_action])
    await create(api, name="unrelated")

    async def related(resource_id: str) -> list[str]:
        response = await api.get(f"/api/automations/related-to/{resource_id}")
        assert response.status == 200
        return [automation["name"] for automation in await response.json()]

    assert await related(f"prefect.deployment.{runs}") == ["served"]
    assert await related(owner) == ["served"]

    # Replacing keeps the owner and follows the deployments the actions now run.
    moved = {**run_action, "deployment_id": str(other)}
    put = await api.put(
        f"/api/automations/{served['id']}", json=update_body("served", actions=[moved])
    )
    assert put.status == 204
    assert await related(f"prefect.deployment.{runs}") == []
    assert await related(f"prefect.deployment.{other}") == ["served"]
    assert await related(owner) == ["served"]

    # Deleting what the deployment of `runs` would own deletes nothing: it owns nothing.
    gone = await api.delete(f"/api/automations/owned-by/prefect.deployment.{other}")
    assert gone.status == 202
    assert await names_of(api) == ["served", "unrelated"]
    gone = await api.delete(f"/api/automations/owned-by/{owner}")
    assert (gone.status, await gone.json()) == (202, None)
    assert await names_of(api) == ["unrelated"]
    assert await related(owner) == []


async def notification_policy_automation(database: Database, block_document_id: str) -> UUID:
    """A notification policy and the automation it is kept as, written as the policy
    code writes them."""
    policy_id, automation_id = uuid4(), uuid4()
    trigger = EventTrigger(posture=Posture.Reactive, expect={"prefect.flow-run.*"})
    async with database.sessions.begin() as session:
        session.add(
            NotificationPolicy(
                id=policy_id,
                state_names=["Failed"],
                tags=[],
                block_document_id=UUID(block_document_id),
            )
        )
        await session.flush()
        session.add(
            Automation(
                id=automation_id,
                name="notification policy",
                trigger=trigger.model_dump(mode="json"),
                actions=[
                    {
                        "type": "send-notification",
                        "block_document_id": block_document_id,
                        "body": "{flow_name}",
                    }
                ],
                notification_policy_id=policy_id,
            )
        )
    return automation_id


async def test_a_notification_policys_automation_is_not_the_automations_apis(
    api: TestClient, database: Database
) -> None:
    block = await create_block(api, "slack-webhook", {"url": "http://127.0.0.1:9/hook"})
    hidden = await notification_policy_automation(database, block)
    visible = await create(api, name="visible")
    url = f"/api/automations/{hidden}"
    for response in (
        await api.get(url),
        await api.put(url, json=update_body()),
        await api.patch(url, json={"enabled": False}),
        await api.delete(url),
    ):
        assert response.status == 404, response
    assert await names_of(api) == ["visible"]
    assert await (await api.post("/api/automations/count", json={})).json() == 1

    # The evaluator reads both, triggers parsed.
    async with database.read_sessions() as session:
        enabled = await enabled_automations(session)
    assert {a.id for a in enabled} == {hidden, UUID(visible["id"])}
    assert all(isinstance(a.trigger, EventTrigger) for a in enabled)
    policy = next(a for a in enabled if a.id == hidden)
    assert policy.notification_policy_id is not None


async def test_the_evaluators_mark_changes_with_every_change_and_reads_only_enabled_ones(
    api: TestClient, database: Database
) -> None:
    async def mark() -> tuple[int, Any]:
        async with database.read_sessions() as session:
            return await automations_version(session)

    async def enabled_names() -> list[str]:
        async with database.read_sessions() as session:
            return [a.name for a in await enabled_automations(session)]

    marks = [await mark()]
    first = await create(api, name="first")
    marks.append(await mark())
    second = await create(api, name="second")
    marks.append(await mark())
    assert await enabled_names() == ["first", "second"]
    await api.patch(f"/api/automations/{first['id']}", json={"enabled": False})
    marks.append(await mark())
    assert await enabled_names() == ["second"]
    await api.delete(f"/api/automations/{second['id']}")
    marks.append(await mark())
    assert await enabled_names() == []
    assert len(set(marks)) == len(marks), marks
    assert marks[0] == (0, None)


async def test_templates_are_validated_as_prefects_ui_asks(api: TestClient) -> None:
    for path in ("/api/templates/validate", "/api/automations/templates/validate"):
        ok = await api.post(path, json="Flow {{ flow.name }} is {{ flow_run.state.name }}")
        assert ok.status == 204
        bad = await api.post(path, json="line one\n{% if %}")
        assert bad.status == 422
        error = (await bad.json())["error"]
        assert (error["line"], error["source"]) == (2, "line one\n{% if %}")
        assert error["message"]


async def test_job_variables_of_a_run_deployment_action_must_pass_the_pools_schema(
    api: TestClient,
) -> None:
    flow_id = await create_flow(api)
    pool_id = await add_pool(api, "typed-pool")
    async with api.app[keys.database].sessions.begin() as session:
        pool = await session.get(WorkPool, pool_id)
        assert pool is not None
        pool.base_job_template = {
            "job_configuration": {"image": "{{ image }}"},
            "variables": {"type": "object", "properties": {"cpu": {"type": "integer"}}},
        }
    deployment = await create_deployment(api, flow_id, "d", work_pool_name="typed-pool")

    def running(deployment_id: str, job_variables: dict[str, Any]) -> dict[str, Any]:
        action = {"type": "run-deployment", "deployment_id": deployment_id,
                  "job_variables": job_variables}  # fmt: skip
        return automation_body(name="runs d", actions=[action])

    refused = await api.post("/api/automations/", json=running(deployment["id"], {"cpu": "x"}))
    assert refused.status == 422
    assert (await refused.json())["detail"] == (
        "Error creating automation: Validation failed for field 'cpu'. Failure reason: 'x' is "
        "not of type 'integer'"
    )
    unknown = await api.post("/api/automations/", json=running(str(uuid4()), {"cpu": 1}))
    assert unknown.status == 404
    assert await names_of(api) == []

    created = await create(api, **running(deployment["id"], {"cpu": 1}))
    replaced = update_body(actions=running(deployment["id"], {"cpu": []})["actions"])
    put = await api.put(f"/api/automations/{created['id']}", json=replaced)
    assert put.status == 422
    assert (await (await api.get(f"/api/automations/{created['id']}")).json()) == created
