"""Deployments, work pools and concurrency limits, in a real Chromium, with data the Prefect
client made (tests/ui/flows/deployments_setup.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import expect

from tests.compat.deployments.harness import deployment_runs, read_flow_run, wait_for
from tests.compat.prefect_client import RunningServer
from tests.ui.conftest import run_client_script, screenshot
from tests.ui.site_api import call_api

#: Seconds the scheduler gets to make a new deployment's runs (it looks every few seconds).
SCHEDULER_TIMEOUT: Final = 60
UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def scenario(ui_server: RunningServer) -> dict[str, Any]:
    """What the flow script made: a pool, a deployment, a global and a tag limit."""
    return run_client_script(ui_server, "deployments_setup.py")


def scheduled_runs(api_url: str, deployment_id: str) -> list[dict[str, Any]]:
    return [
        run for run in deployment_runs(api_url, deployment_id) if run["state_type"] == "SCHEDULED"
    ]


def test_the_deployments_list_shows_the_deployment(
    page: Any, site: str, scenario: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(f"{site}/deployments")
    page.get_by_label("Deployment or flow name").fill("ui-deployments")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/deployments\?q=ui-deployments"))
    row = page.locator(f"tr[data-deployment-id='{scenario['deployment_id']}']")
    assert row.locator("th a").inner_text() == scenario["deployment"]
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == scenario["flow"]
    assert cells[1] == "Every 1 h; 1 inactive"
    assert cells[4] == scenario["pool"]
    assert cells[5] == "ui-deployments"
    screenshot(page, "deployments", tmp_path)
    # A search that matches nothing lists nothing, and says so.
    page.goto(f"{site}/deployments?q=ui-deployments-none-such")
    expect(page.locator("tr[data-deployment-id]")).to_have_count(0)
    expect(page.locator("#deployment-list")).to_contain_text("No deployment matches")


def test_the_deployment_page_lists_its_schedules_and_upcoming_runs(
    page: Any, site: str, ui_server: RunningServer, scenario: dict[str, Any], tmp_path: Path
) -> None:
    deployment_id = scenario["deployment_id"]
    upcoming = wait_for(
        lambda: scheduled_runs(ui_server.api_url, deployment_id),
        bool,
        what="the scheduler's runs of the deployment",
        timeout=SCHEDULER_TIMEOUT,
    )
    page.goto(f"{site}/deployments/deployment/{deployment_id}")
    assert page.locator("h1").inner_text() == scenario["deployment"]
    schedules = page.locator("#deployment-schedules tbody tr")
    assert schedules.nth(0).locator("th").inner_text() in {
        "Every 1 h",
        "Cron 0 9 * * 1-5 (Europe/Paris)",
    }
    texts = {row.locator("th").inner_text(): row.locator("td").first.inner_text()
             for row in schedules.all()}  # fmt: skip
    assert texts == {"Every 1 h": "Active", "Cron 0 9 * * 1-5 (Europe/Paris)": "Inactive"}
    # The soonest scheduled runs, soonest first, as the API lists them.
    shown = page.locator("#deployment-upcoming tr[data-flow-run-id]")
    ids = [row.get_attribute("data-flow-run-id") for row in shown.all()]
    assert ids == [run["id"] for run in upcoming][: len(ids)] and ids
    expect(shown.first.locator(".state")).to_have_text("Scheduled")
    parameters = page.locator("section[aria-labelledby='parameters-heading'] tbody tr")
    rows = {row.locator("th").inner_text(): row.locator("td").all_inner_texts()
            for row in parameters.all()}  # fmt: skip
    assert rows["greeting"][:3] == ["string", "No", '"hello"']
    assert rows["count"][:3] == ["integer", "No", "2"]
    screenshot(page, "deployment", tmp_path)


def test_a_deployment_is_paused_and_resumed_from_its_page(
    page: Any, site: str, ui_server: RunningServer, scenario: dict[str, Any]
) -> None:
    deployment_id = scenario["deployment_id"]
    api = f"/deployments/{deployment_id}"
    page.goto(f"{site}/deployments/deployment/{deployment_id}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("[data-paused]")).to_have_attribute("data-paused", "true")
    assert call_api(site, "GET", api)["paused"] is True
    page.reload()
    expect(page.locator("[data-paused]")).to_have_text("Paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("[data-paused]")).to_have_attribute("data-paused", "false")
    assert call_api(site, "GET", api)["paused"] is False


def test_run_now_with_edited_parameters_lands_on_the_new_run(
    page: Any, site: str, ui_server: RunningServer, scenario: dict[str, Any]
) -> None:
    deployment_id = scenario["deployment_id"]
    page.goto(f"{site}/deployments/deployment/{deployment_id}")
    editor = page.get_by_label("Parameters (JSON", exact=False)
    assert json.loads(editor.input_value()) == {"count": 2, "greeting": "hello"}
    editor.fill('{"greeting": "bonjour", "count": 3}')
    with page.expect_navigation(url=re.compile(rf"/runs/flow-run/{UUID_PATTERN}$")) as landed:
        page.get_by_role("button", name="Run now").click()
    if landed.value is not None and landed.value.status == 404:
        page.console_errors.clear()  # the run page is its own module's; this one only links
    flow_run_id = page.url.rsplit("/", 1)[-1]
    run = read_flow_run(ui_server.api_url, flow_run_id)
    assert run["deployment_id"] == deployment_id
    assert run["parameters"] == {"greeting": "bonjour", "count": 3}


def test_a_bad_parameter_document_is_refused_on_the_page(
    page: Any, site: str, scenario: dict[str, Any]
) -> None:
    page.goto(f"{site}/deployments/deployment/{scenario['deployment_id']}")
    page.get_by_label("Parameters (JSON", exact=False).fill('{"greeting": ')
    page.get_by_role("button", name="Run now").click()
    result = page.locator("section[aria-labelledby='run-now-heading'] [data-action-result]")
    expect(result).to_contain_text("Not valid JSON")
    assert page.url.endswith(scenario["deployment_id"])


def test_the_work_pool_pages_list_the_pool_its_queues_and_worker(
    page: Any, site: str, ui_server: RunningServer, scenario: dict[str, Any], tmp_path: Path
) -> None:
    pool = scenario["pool"]
    page.goto(f"{site}/work-pools")
    cells = page.locator(f"tr[data-work-pool='{pool}'] td").all_inner_texts()
    # Type, status, paused, concurrency, queues, workers online.
    assert cells[0] == "process"
    assert cells[1] == "Ready"  # the worker's heartbeat made it so
    assert cells[4:] == ["2", "1"]
    screenshot(page, "work-pools", tmp_path)

    page.get_by_role("link", name=pool).click()
    page.wait_for_url(f"**/work-pools/work-pool/{pool}")
    queue = page.locator(f"tr[data-work-queue='{scenario['queue']}'] td").all_inner_texts()
    assert queue[0] == "5"  # its priority
    expect(page.locator("tr[data-work-queue='default'] th")).to_contain_text("(default)")
    worker = page.locator("#work-pool-workers tbody tr").filter(has_text=scenario["worker"])
    expect(worker.locator("td").first).to_have_text("Online")
    screenshot(page, "work-pool", tmp_path)

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pause pool").click()
    expect(page.locator("dd[data-status]")).to_have_attribute("data-status", "PAUSED")
    assert call_api(site, "GET", f"/work_pools/{pool}")["is_paused"] is True
    page.get_by_role("button", name="Resume pool").click()
    expect(page.locator("dd[data-status]")).to_have_attribute("data-status", "READY")


def test_the_concurrency_page_shows_both_limits_with_their_slots(
    page: Any, site: str, scenario: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(f"{site}/concurrency-limits")
    limit = page.locator(f"tr[data-limit='{scenario['global_limit']}']")
    expect(limit.locator("td").first).to_have_text("2 / 3")
    lease = limit.locator(f"li[data-lease-id='{scenario['lease_id']}']")
    expect(lease).to_contain_text("2 slots by flow run")
    holder = lease.get_by_role("link")
    assert holder.get_attribute("href") == f"/runs/flow-run/{scenario['flow_run_id']}"
    tag = page.locator(f"tr[data-tag='{scenario['tag']}']")
    expect(tag.locator("td").first).to_have_text("1 / 2")
    held_by = tag.get_by_role("link")
    assert held_by.get_attribute("href") == f"/runs/task-run/{scenario['task_run_id']}"
    # The v1 limit is not listed again among the global ones.
    expect(page.locator(f"tr[data-limit='tag:{scenario['tag']}']")).to_have_count(0)
    screenshot(page, "concurrency-limits", tmp_path)
