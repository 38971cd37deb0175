"""`/automations` and `/notifications`, in a real Chromium, on data the Prefect client made.

A custom webhook on 127.0.0.1 answers 500; a policy on Failed runs tagged `ui-notifications`
sends through it; the client runs a flow that fails. Its delivery gives up after the package
server's few quick attempts; the receiver then answers 200 and the page's Replay delivers it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.compat.prefect_client import RunningServer
from tests.integration.notifications.receiver import Receiver, Reply
from tests.ui.conftest import run_client_script, screenshot
from tests.ui.site_api import DEADLINE_SECONDS, call_api, wait_until

T = TypeVar("T")

#: Where the policy's webhook posts, on the receiver.
HOOK_PATH = "/custom/ui-notifications"


class ThreadedReceiver:
    """The channels' stand-in, on its own event loop in a thread (the tests are synchronous)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.service: Receiver = self.run(Receiver().start())

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def on_loop(self, action: Callable[[], T]) -> T:
        async def call() -> T:
            return action()

        result: T = self.run(call())
        return result

    def answer_500(self) -> None:
        replies = [Reply(500, "receiver down: try later")] * 50
        self.on_loop(lambda: self.service.script(HOOK_PATH, *replies))

    def answer_200(self) -> None:
        self.on_loop(self.service.scripts.clear)

    def requests(self) -> list[Any]:
        return self.on_loop(lambda: self.service.requests_to(HOOK_PATH))

    def stop(self) -> None:
        self.run(self.service.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass(frozen=True)
class Scenario:
    receiver: ThreadedReceiver
    block_id: str
    policy_id: str
    automation_id: str
    flow_run_id: str
    delivery_id: str


def create_webhook_block(site: str, name: str, url: str) -> str:
    block_type = call_api(site, "GET", "/block_types/slug/custom-webhook")
    of_type = {"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}
    schemas = call_api(site, "POST", "/block_schemas/filter", of_type)
    document = call_api(site, "POST", "/block_documents/", {
        "name": name, "data": {"name": name, "url": url},
        "block_schema_id": schemas[0]["id"], "block_type_id": block_type["id"]})  # fmt: skip
    return str(document["id"])


@pytest.fixture(scope="module")
def scenario(ui_server: RunningServer, site: str) -> Iterator[Scenario]:
    receiver = ThreadedReceiver()
    try:
        receiver.answer_500()
        block_id = create_webhook_block(
            site, "ui-notifications-hook", receiver.service.url + HOOK_PATH
        )
        policy = call_api(site, "POST", "/flow_run_notification_policies/", {
            "state_names": ["Failed"], "tags": ["ui-notifications"],
            "block_document_id": block_id})  # fmt: skip
        result = run_client_script(ui_server, "notifications_failing_flow.py")
        assert result["raised"] and result["flow_run_id"], result
        of_run = f"/flow_runs/{result['flow_run_id']}/notification_deliveries"
        deliveries = wait_until(
            lambda: call_api(site, "GET", of_run),
            lambda rows: [row["status"] for row in rows] == ["dead"],
            "the delivery gives up on the receiver's 500s",
        )
        yield Scenario(receiver, block_id, policy["id"], result["automation_id"],
                       result["flow_run_id"], deliveries[0]["id"])  # fmt: skip
    finally:
        receiver.stop()


def test_a_failed_delivery_shows_its_attempts_and_is_replayed_from_its_page(
    scenario: Scenario, site: str, page: Any, tmp_path: Path
) -> None:
    response = page.goto(f"{site}/notifications/delivery/{scenario.delivery_id}")
    assert response.status == 200
    assert page.locator("[data-delivery-status]").inner_text() == "dead"
    attempts = page.locator("table.attempts tbody tr")
    assert attempts.count() == 3  # the package server's SIGNALBOX_DELIVERY_MAX_ATTEMPTS
    for row in range(3):
        assert attempts.nth(row).locator("[data-status-code]").inner_text() == "500"
        assert attempts.nth(row).locator("[data-outcome]").inner_text() == "transient"
    assert "receiver down: try later" in attempts.first.inner_text()
    sent_before = len(scenario.receiver.requests())

    scenario.receiver.answer_200()
    page.get_by_role("button", name="Replay").click()
    # The page polls: the new attempt appears without reloading it.
    outcome = page.locator("[data-outcome]", has_text="delivered")
    delivered = page.locator("table.attempts tbody tr", has=outcome)
    delivered.wait_for(timeout=DEADLINE_SECONDS * 1000)
    assert delivered.locator("[data-status-code]").inner_text() == "200"
    page.locator("[data-delivery-status]", has_text="delivered").wait_for()
    assert page.get_by_role("button", name="Replay").count() == 0
    [message] = scenario.receiver.requests()[sent_before:]
    assert scenario.flow_run_id in message.json()["summary"]
    screenshot(page, "delivery", tmp_path)


def test_the_notifications_page_lists_the_policy_and_its_deliveries(
    scenario: Scenario, site: str, page: Any, tmp_path: Path
) -> None:
    page.goto(f"{site}/notifications")
    policy = page.locator(f"tr[data-policy-id='{scenario.policy_id}']")
    assert policy.locator("th").inner_text() == "ui-notifications-hook"
    cells = policy.locator("td")
    assert cells.nth(0).inner_text() == "webhook"
    assert cells.nth(1).inner_text().strip() == "Failed"
    assert cells.nth(2).inner_text().strip() == "ui-notifications"
    page.get_by_label("Policy").select_option(scenario.policy_id)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**/notifications?*policy={scenario.policy_id}*")
    rows = page.locator("table.deliveries tbody tr")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-delivery-id") == scenario.delivery_id
    screenshot(page, "notifications", tmp_path)


def test_an_automation_is_disabled_from_the_list_and_read_on_its_page(
    scenario: Scenario, site: str, page: Any, tmp_path: Path
) -> None:
    page.goto(f"{site}/automations")
    row = page.locator(f"tr[data-automation-id='{scenario.automation_id}']")
    assert row.locator("th").inner_text() == "ui-notifications-automation"
    assert "prefect.flow-run.Failed" in row.inner_text()
    screenshot(page, "automations", tmp_path)
    row.get_by_role("button", name="Disable").click()
    row.get_by_role("button", name="Enable").wait_for()
    assert "Disabled" in row.inner_text()
    automation = call_api(site, "GET", f"/automations/{scenario.automation_id}")
    assert automation["enabled"] is False

    page.goto(f"{site}/automations/automation/{scenario.automation_id}")
    assert page.locator("h1").inner_text() == "ui-notifications-automation"
    assert page.locator(".automation-trigger").inner_text() == (
        "When prefect.flow-run.Failed happens for prefect.resource.id=prefect.flow-run.*"
    )
    assert page.locator(".automation-actions li").all_inner_texts() == ["Do nothing"]
    # It fired on the failed run before it was disabled, and ran its one action.
    ran = page.locator("#automation-firings li", has_text="do-nothing").first
    ran.wait_for(timeout=DEADLINE_SECONDS * 1000)
    assert ran.inner_text().startswith("do-nothing: succeeded")
    screenshot(page, "automation", tmp_path)


def test_the_automation_form_shows_what_the_api_refuses(site: str, page: Any) -> None:
    page.goto(f"{site}/automations/create")
    page.get_by_label("Name").fill("ui-notifications-refused")
    trigger = page.locator("textarea[name=trigger]")
    trigger.fill(json.dumps({"type": "event", "posture": "Sideways"}))
    page.get_by_role("button", name="Create").click()
    result = page.locator("form [data-action-result]")
    result.filter(has_text="posture").wait_for()
    assert "bad" in (result.get_attribute("class") or "")
    page.console_errors.clear()  # the browser logs the 422 answer itself
    body = {"automations": {"name": {"any_": ["ui-notifications-refused"]}}}
    assert call_api(site, "POST", "/automations/filter", body) == []


def test_a_policy_is_created_with_the_states_checked(
    scenario: Scenario, site: str, page: Any
) -> None:
    page.goto(f"{site}/notifications/create")
    page.get_by_role("checkbox", name="Crashed", exact=True).check()
    page.get_by_role("checkbox", name="Late", exact=True).check()
    page.get_by_label("Tags").fill("ui-notifications-form, nightly")
    page.get_by_label("Send through").select_option(scenario.block_id)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{site}/notifications")
    body = {"flow_run_notification_policy_filter": {"is_active": {"eq_": True}}}
    created = [
        policy
        for policy in call_api(site, "POST", "/flow_run_notification_policies/filter", body)
        if "ui-notifications-form" in policy["tags"]
    ]
    assert [(p["state_names"], p["tags"]) for p in created] == [
        (["Crashed", "Late"], ["ui-notifications-form", "nightly"])
    ]


def test_the_dead_letters_page_answers(site: str, page: Any) -> None:
    response = page.goto(f"{site}/notifications/dead-letters")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Dead letters"
    assert page.locator("body").get_attribute("data-live-poll") == "5"


def test_send_test_delivers_the_policys_sample_message_and_opens_its_delivery(
    scenario: Scenario, site: str, page: Any, tmp_path: Path
) -> None:
    path = "/custom/ui-policy-test"  # no script: the receiver answers 200
    block_id = create_webhook_block(
        site, "ui-policy-test-hook", scenario.receiver.service.url + path
    )
    policy = call_api(site, "POST", "/flow_run_notification_policies/", {
        "state_names": ["Failed"], "tags": ["ui-policy-test"],
        "block_document_id": block_id})  # fmt: skip

    page.goto(f"{site}/notifications")
    row = page.locator(f"tr[data-policy-id='{policy['id']}']")
    row.get_by_role("button", name="Send test").click()
    page.wait_for_url(f"{site}/notifications/delivery/*")
    delivery_id = page.url.rsplit("/", 1)[-1]
    # The page polls: the attempt appears without reloading it.
    outcome = page.locator("[data-outcome]", has_text="delivered")
    delivered = page.locator("table.attempts tbody tr", has=outcome)
    delivered.wait_for(timeout=DEADLINE_SECONDS * 1000)
    assert delivered.locator("[data-status-code]").inner_text() == "200"
    assert "a test of its policy" in page.locator("#delivery-facts").inner_text()
    [message] = scenario.receiver.on_loop(lambda: scenario.receiver.service.requests_to(path))
    assert message.json()["id"] == delivery_id
    assert message.json()["title"].startswith("[Test] ")
    screenshot(page, "policy-test", tmp_path)
