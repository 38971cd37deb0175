"""The dashboard, `/flows` and a flow's page, in a real Chromium, after the Prefect client ran
flows that completed and one that failed, and made a work pool with a Prefect worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.compat.prefect_client import RunningServer
from tests.ui.conftest import run_client_script, screenshot


@pytest.fixture(scope="module")
def runs(ui_server: RunningServer) -> dict[str, Any]:
    return run_client_script(ui_server, "dashboard_runs.py")


def test_the_dashboard_draws_completed_and_failed_runs_and_lists_the_failure(
    page: Any, site: str, runs: dict[str, Any], tmp_path: Path
) -> None:
    response = page.goto(f"{site}/")
    assert response.status == 200
    histogram = page.locator("#history svg[data-chart='state-histogram']")
    assert histogram.locator("rect[data-state-type='COMPLETED']").count() >= 1
    assert histogram.locator("rect[data-state-type='FAILED']").count() >= 1
    legend = page.locator("#history ul.legend")
    assert legend.locator("li[data-state-type='COMPLETED']").inner_text().startswith("Completed")
    assert legend.locator("li[data-state-type='FAILED']").inner_text().startswith("Failed")
    [(failed_id, failed_name)] = runs["fails"]["runs"]
    link = page.locator("#failures a", has_text=failed_name)
    assert link.get_attribute("href") == f"/runs/flow-run/{failed_id}"
    assert link.locator("xpath=ancestor::tr").locator(".state").inner_text() == "Failed"
    pool = page.locator(f"#work-pools tr[data-work-pool='{runs['work_pool']}']")
    assert pool.locator(".pool-status").inner_text() == "READY"
    assert pool.locator("td.num").inner_text() == "1"  # the script's Prefect worker
    late = page.locator("#late-runs tr", has=page.get_by_role("link", name=runs["late"]["name"]))
    assert late.get_by_role("link").get_attribute("href") == f"/runs/flow-run/{runs['late']['id']}"
    assert late.locator(".state").get_attribute("data-state-type") == "SCHEDULED"
    assert late.locator("td").last.inner_text().endswith("ago)")
    assert page.locator("#queues th[scope='row']", has_text="state").count() >= 1
    screenshot(page, "dashboard", tmp_path)


def test_the_dashboard_shows_a_new_failure_without_a_reload(
    page: Any, site: str, runs: dict[str, Any]
) -> None:
    page.goto(f"{site}/dashboard?range=1h")
    page.wait_for_selector("body[data-live-connected='true']")
    page.evaluate("window.notReloaded = true")  # gone if the page loads again
    name = f"ui-dashboard-live-{uuid4().hex[:8]}"
    created = page.request.post(
        f"{site}/api/flow_runs/",
        data={"flow_id": runs["fails"]["id"], "name": name, "state": {"type": "FAILED"}},
    )
    assert created.status == 201, created.text()
    # live.js swaps the failures region when the run's event arrives; the page never reloads.
    page.locator("#failures a", has_text=name).wait_for()
    assert page.evaluate("window.notReloaded") is True


def test_flows_lists_the_script_flows_with_their_latest_run(
    page: Any, site: str, runs: dict[str, Any], tmp_path: Path
) -> None:
    suffix = runs["fails"]["name"].removeprefix("ui-dashboard-fails-")
    page.goto(f"{site}/flows")
    page.get_by_label("Name contains").fill(suffix)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"**/flows?name={suffix}")
    rows = page.locator("tbody tr")
    assert sorted(rows.locator("th").all_inner_texts()) == sorted(
        [runs["completes"]["name"], runs["fails"]["name"]]
    )
    fails = page.locator(f"tr[data-flow='{runs['fails']['name']}']")
    assert fails.locator(".state").inner_text() == "Failed"
    [(failed_id, failed_name)] = runs["fails"]["runs"]
    assert fails.get_by_role("link", name=failed_name).get_attribute("href") == (
        f"/runs/flow-run/{failed_id}"
    )
    assert fails.get_by_role("link", name=runs["fails"]["name"]).get_attribute("href") == (
        f"/flows/flow/{runs['fails']['id']}"
    )
    screenshot(page, "flows", tmp_path)


def test_a_flow_page_lists_its_runs_and_draws_them_by_state(
    page: Any, site: str, runs: dict[str, Any], tmp_path: Path
) -> None:
    completes = runs["completes"]
    page.goto(f"{site}/flows")
    page.get_by_label("Name contains").fill(completes["name"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=completes["name"]).click()
    page.wait_for_url(f"**/flows/flow/{completes['id']}")
    assert page.locator("h1").inner_text() == completes["name"]
    rows = page.locator("#flow-runs tr[data-flow-run]")
    # Its two runs, and the run scheduled an hour ago that nothing started.
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.flowRun)")) == sorted(
        [*(run_id for run_id, _ in completes["runs"]), runs["late"]["id"]]
    )
    for _, name in completes["runs"]:
        row = page.locator("#flow-runs tr", has=page.get_by_role("link", name=name))
        assert row.locator(".state").inner_text() == "Completed"
    histogram = page.locator("#flow-history svg")
    assert histogram.locator("rect[data-state-type='COMPLETED']").count() >= 1
    assert histogram.locator("rect[data-state-type='SCHEDULED']").count() == 1
    assert histogram.locator("rect[data-state-type='FAILED']").count() == 0  # another flow's
    screenshot(page, "flow", tmp_path)


def test_an_unknown_flow_is_a_404_page_and_an_unknown_range_a_400(page: Any, site: str) -> None:
    assert page.goto(f"{site}/flows/flow/{uuid4()}").status == 404
    assert page.goto(f"{site}/dashboard?range=forever").status == 400
    assert "range must be one of" in page.locator("main").inner_text()
    page.console_errors.clear()  # the browser logs the error status of the document itself


def test_notification_links_open_this_server(page: Any, site: str) -> None:
    settings = page.request.get(f"{site}/api/admin/settings").json()
    assert settings["ui_url"] == site
    assert settings["server"]["ui"]["enabled"] is True
