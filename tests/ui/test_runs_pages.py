"""`/runs`, `/runs/flow-run/<id>` and `/runs/task-run/<id>` in a real Chromium, on runs the
Prefect client made (tests/ui/flows/runs_scenario.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.compat.prefect_client import RunningServer
from tests.ui.conftest import run_client_script, screenshot
from tests.ui.site_api import call_api

#: Seconds a test waits for what the server records after the client has moved on (task
#: runs and logs travel as events and messages).
SETTLE_SECONDS = 30


# Each test names `site` before `page`: the server (and on PostgreSQL its migrations, which
# run their own event loop) starts before Playwright's loop does.
@pytest.fixture(scope="module")
def scenario(ui_server: RunningServer) -> dict[str, Any]:
    return run_client_script(ui_server, "runs_scenario.py")


def open_when(page: Any, url: str, ready: Callable[[], bool]) -> None:
    """Open `url`, reloading until `ready()` holds (what the client sent is recorded)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    page.goto(url)
    while not ready():
        assert time.monotonic() < deadline, f"{url} never showed what the test waits for"
        page.wait_for_timeout(300)
        page.reload()


def propose_state(site: str, flow_run_id: str, state_type: str) -> dict[str, Any]:
    """Force a flow run into a state through the REST API, as another client would."""
    body = {"state": {"type": state_type}, "force": True}
    answer: dict[str, Any] = call_api(site, "POST", f"/flow_runs/{flow_run_id}/set_state", body)
    return answer


def test_runs_list_filters_searches_and_pages(
    site: str, scenario: dict[str, Any], page: Any, tmp_path: Path
) -> None:
    token = scenario["token"]
    rows = page.locator("#runs-results tbody tr[data-run-id]")
    # 55 scheduled runs, the parent, its subflow and the failing run: two pages.
    open_when(page, f"{site}/runs?q={token}", lambda: "58 runs" in page.inner_text("#runs-count"))
    expect(rows).to_have_count(50)
    assert page.inner_text("nav.pager").startswith("Page 1 of 2")
    screenshot(page, "runs", tmp_path)
    page.get_by_role("link", name="Next").click()
    expect(rows).to_have_count(8)
    assert "Page 2 of 2" in page.inner_text("nav.pager")

    # The filter form: the state select and the name search, submitted as a person would.
    page.goto(f"{site}/runs")
    page.get_by_label("Name contains").fill(token)
    page.locator("#filter-state").select_option("FAILED")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-run-id") == scenario["failing_flow_run_id"]
    expect(rows.first.locator(".state")).to_have_text("Failed")
    assert rows.first.locator("td").nth(1).inner_text() == "ui-runs-fails"

    # Tags: the odd-numbered scheduled runs (27 of 55) carry `batch-1`.
    page.goto(f"{site}/runs?q={token}&tags=batch-1,ui-runs")
    expect(rows).to_have_count(27)
    assert "27 runs" in page.inner_text("#runs-count")
    assert rows.first.locator(".tag").all_inner_texts() == ["ui-runs", "batch-1"]

    page.goto(f"{site}/runs?q={token}-waiting-07")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".state")).to_have_text("Scheduled")


def test_run_page_draws_a_bar_per_task_run_and_escapes_log_lines(
    site: str, scenario: dict[str, Any], page: Any, tmp_path: Path
) -> None:
    flow_run_id = scenario["flow_run_id"]
    task_bars = page.locator("svg.timeline a[data-kind='task-run']")
    markup_line = page.locator("pre.log-message", has_text="window.__injected")
    open_when(
        page,
        f"{site}/runs/flow-run/{flow_run_id}",
        lambda: task_bars.count() == len(scenario["task_run_ids"]) and markup_line.count() == 1,
    )
    bar_ids = {bar.get_attribute("data-run-id") for bar in task_bars.all()}
    assert bar_ids == set(scenario["task_run_ids"])
    assert page.locator("svg.timeline a[data-kind='task-run'] rect.fill-completed").count() == 3
    subflow_bar = page.locator("svg.timeline a[data-kind='flow-run']")
    expect(subflow_bar).to_have_count(1)
    assert subflow_bar.get_attribute("data-run-id") == scenario["child_flow_run_id"]
    expect(page.locator("#run-title .state")).to_have_text("Completed")
    # States in order, parameters as escaped JSON, the subflow run, the artifact's link.
    assert page.locator("#run-states .state").all_inner_texts()[-3:] == [
        "Pending",
        "Running",
        "Completed",
    ]
    assert '"label": "<b>bold</b>"' in page.inner_text("pre.parameters")
    assert page.locator("pre.parameters b").count() == 0
    expect(page.locator("#run-subflows tbody a")).to_have_text(
        "ui-runs-" + scenario["token"] + "-child"
    )
    artifact_link = page.locator("#run-artifacts a")
    expect(artifact_link).to_have_count(1)
    assert re.fullmatch(r"/artifacts/artifact/[0-9a-f-]{36}", artifact_link.get_attribute("href"))
    # The log line holding a <script> element shows as text and never runs.
    assert markup_line.inner_text() == scenario["markup_line"]
    assert page.locator("table.logs script").count() == 0
    assert page.evaluate("window.__injected") is None
    screenshot(page, "flow-run", tmp_path)

    page.locator("svg.timeline a[data-kind='task-run']").first.click()
    expect(page).to_have_url(re.compile(r"/runs/task-run/"))


def test_failed_run_shows_failed_with_its_logs(
    site: str, scenario: dict[str, Any], page: Any
) -> None:
    lines = page.locator("table.logs pre.log-message")
    open_when(
        page,
        f"{site}/runs/flow-run/{scenario['failing_flow_run_id']}",
        lambda: lines.filter(has_text="the failure the page must show").count() == 1,
    )
    expect(page.locator("#run-title .state")).to_have_text("Failed")
    assert lines.filter(has_text="about to fail").count() == 1
    # The level filter leaves out the lines below it.
    page.get_by_label("Lowest level").select_option("40")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"level=40"))
    assert lines.filter(has_text="about to fail").count() == 0
    assert lines.filter(has_text="the failure the page must show").count() == 1


def test_run_page_shows_a_new_state_without_a_reload(
    site: str, scenario: dict[str, Any], page: Any
) -> None:
    flow_run_id = scenario["scheduled_flow_run_ids"][0]
    page.goto(f"{site}/runs/flow-run/{flow_run_id}")
    expect(page.locator("#run-title .state")).to_have_text("Scheduled")
    page.wait_for_selector("body[data-live-connected='true']", state="attached")
    page.evaluate("window.__samePage = true")
    answer = propose_state(site, flow_run_id, "PENDING")
    assert answer["status"] == "ACCEPT"
    expect(page.locator("#run-title .state")).to_have_text("Pending")
    assert "Pending" in page.locator("#run-states .state").all_inner_texts()
    assert page.evaluate("window.__samePage") is True


def test_cancel_from_the_run_page(site: str, scenario: dict[str, Any], page: Any) -> None:
    flow_run_id = scenario["scheduled_flow_run_ids"][1]
    page.goto(f"{site}/runs/flow-run/{flow_run_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    # A scheduled run has no process to stop: the server cancels it at once.
    expect(page.locator("#run-title .state")).to_have_text(re.compile("^Cancell(ed|ing)$"))
    page.reload()
    expect(page.locator("#run-title .state")).to_have_text(re.compile("^Cancell(ed|ing)$"))
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)


def test_task_run_page_shows_its_states_flow_run_and_logs(
    site: str, scenario: dict[str, Any], page: Any, tmp_path: Path
) -> None:
    task_run_id = scenario["task_run_ids"][1]
    line = page.locator("table.logs pre.log-message", has_text="step 1 done")
    open_when(page, f"{site}/runs/task-run/{task_run_id}", lambda: line.count() == 1)
    expect(page.locator("#run-title")).to_contain_text("ui-runs-step-1")
    expect(page.locator("#run-title .state")).to_have_text("Completed")
    assert page.locator("#task-run-states .state").all_inner_texts()[-1] == "Completed"
    # Only the task run's own lines: the other steps' lines are on their own pages.
    assert page.locator("table.logs pre.log-message", has_text="step 2 done").count() == 0
    flow_run_link = page.locator("dl.facts a")
    assert flow_run_link.get_attribute("href") == f"/runs/flow-run/{scenario['flow_run_id']}"
    screenshot(page, "task-run", tmp_path)


def test_unknown_run_is_a_404_page(site: str, page: Any) -> None:
    response = page.goto(f"{site}/runs/flow-run/00000000-0000-0000-0000-000000000000")
    assert response.status == 404
    page.console_errors.clear()  # the browser logs the 404 of the document itself
