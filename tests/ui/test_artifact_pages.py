"""`/artifacts`, `/artifacts/artifact/<id>` and `/artifacts/key/<key>` in a real Chromium, on
artifacts a flow published with the Prefect client: rendered by type, hostile text inert.

Tests name `site` before `page`: the package server starts (and on PostgreSQL empties the
database with `asyncio.run`) before Playwright's sync API runs its event loop in this thread.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.compat.prefect_client import RunningServer
from tests.ui.conftest import run_client_script, screenshot
from tests.ui.site_api import row_named


@pytest.fixture(scope="module")
def published(ui_server: RunningServer) -> dict[str, str]:
    """The ids tests/ui/flows/blocks_artifacts.py printed: the flow run's and each artifact's."""
    return run_client_script(ui_server, "blocks_artifacts.py")


@pytest.fixture
def dialogs(page: Any) -> list[str]:
    """Every dialog the page opens (an alert would mean a script ran): dismissed, recorded."""
    opened: list[str] = []

    def record(dialog: Any) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def test_the_artifacts_page_lists_the_latest_of_each_key(
    site: str, page: Any, published: dict[str, str], tmp_path: Path
) -> None:
    page.goto(f"{site}/artifacts?key=ui-blocks")
    for key in ("ui-blocks-report", "ui-blocks-table", "ui-blocks-link", "ui-blocks-progress"):
        assert row_named(page, key).count() == 1  # one row per key, however many versions
    report = row_named(page, "ui-blocks-report")
    assert "ui-blocks markdown" in report.inner_text()  # the latest version's description
    run_link = report.locator(f"a[href='/runs/flow-run/{published['flow_run_id']}']")
    assert run_link.count() == 1
    screenshot(page, "artifacts", tmp_path)

    page.get_by_label("Type").select_option("table")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"type=table"))
    assert row_named(page, "ui-blocks-table").count() == 1
    assert row_named(page, "ui-blocks-report").count() == 0


def test_markdown_renders_as_html_with_its_script_inert(
    site: str, page: Any, published: dict[str, str], dialogs: list[str], tmp_path: Path
) -> None:
    page.goto(f"{site}/artifacts/artifact/{published['markdown']}")
    content = page.locator("#artifact-content")
    assert content.locator("h1").inner_text() == "ui-blocks report"
    assert content.locator("table th").all_inner_texts() == ["stage", "result"]
    # The raw HTML is text: no script, image or bold element came out of it, nothing ran.
    assert "<script>" in content.inner_text()
    assert content.locator("script, img, [onerror], b").count() == 0
    assert page.evaluate("window.uiBlocksScriptRan") is None
    # The javascript: link is left as text; the web link carries rel.
    assert page.locator("a[href^='javascript:']").count() == 0
    docs = content.get_by_role("link", name="the docs")
    assert docs.get_attribute("rel") == "noopener nofollow"
    screenshot(page, "artifact", tmp_path)
    assert dialogs == []


def test_an_artifact_page_lists_the_versions_of_its_key(
    site: str, page: Any, published: dict[str, str]
) -> None:
    page.goto(f"{site}/artifacts/key/ui-blocks-report")
    assert page.locator("#artifact-content h1").inner_text() == "ui-blocks report"
    versions = page.locator("table.versions tbody tr")
    assert versions.count() == 2
    versions.nth(1).get_by_role("link").first.click()
    page.wait_for_url(f"**/artifacts/artifact/{published['first_markdown']}")
    assert page.locator("#artifact-content h1").inner_text() == "first"


def test_a_table_artifact_is_a_table_of_escaped_cells(
    site: str, page: Any, published: dict[str, str], dialogs: list[str]
) -> None:
    page.goto(f"{site}/artifacts/artifact/{published['table']}")
    table = page.locator("#artifact-content table.artifact-table")
    assert table.locator("thead th").all_inner_texts() == ["name", "count"]
    assert table.locator("tbody tr").first.locator("td").all_inner_texts() == ["<i>alpha</i>", "1"]
    assert table.locator("i").count() == 0
    assert dialogs == []


def test_a_progress_artifact_is_a_progress_bar(
    site: str, page: Any, published: dict[str, str]
) -> None:
    page.goto(f"{site}/artifacts/artifact/{published['progress']}")
    bar = page.locator("#artifact-content progress")
    assert bar.get_attribute("value") == "42"
    assert bar.get_attribute("max") == "100"
    assert page.locator(".progress-text").inner_text() == "42%"


def test_a_link_artifact_is_a_link(site: str, page: Any, published: dict[str, str]) -> None:
    page.goto(f"{site}/artifacts/artifact/{published['link']}")
    link = page.locator("#artifact-content").get_by_role("link", name="the report")
    assert link.get_attribute("href") == "https://example.invalid/report"
