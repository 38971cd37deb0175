"""`/blocks`, `/blocks/block/<id>` and `/variables` in a real Chromium, on blocks and
variables the Prefect client saved: secrets never reach a page.

Tests name `site` before `page`: the package server starts (and on PostgreSQL empties the
database with `asyncio.run`) before Playwright's sync API runs its event loop in this thread.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.compat.prefect_client import RunningServer
from tests.ui.conftest import run_client_script, screenshot
from tests.ui.site_api import row_named


@pytest.fixture(scope="module")
def saved(ui_server: RunningServer) -> dict[str, Any]:
    """What tests/ui/flows/blocks_config.py saved: block ids and the secrets' texts."""
    return run_client_script(ui_server, "blocks_config.py")


def assert_no_secret(page: Any, saved: dict[str, Any]) -> None:
    content = page.content()
    for secret in saved["secrets"]:
        assert secret not in content


def test_the_blocks_page_lists_documents_and_filters_by_type(
    site: str, page: Any, saved: dict[str, Any], tmp_path: Path
) -> None:
    assert page.goto(f"{site}/blocks").status == 200
    for name in ("ui-blocks-secret", "ui-blocks-credentials", "ui-blocks-service"):
        assert row_named(page, name).count() == 1
    credentials = row_named(page, "ui-blocks-credentials")
    assert credentials.locator("td").first.inner_text() == "UI Blocks Credentials"
    assert_no_secret(page, saved)
    screenshot(page, "blocks", tmp_path)

    page.get_by_label("Block type").select_option("secret")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"type=secret"))
    assert row_named(page, "ui-blocks-secret").count() == 1
    assert row_named(page, "ui-blocks-credentials").count() == 0


def test_a_secret_block_shows_stars_not_its_value(
    site: str, page: Any, saved: dict[str, Any]
) -> None:
    assert page.goto(f"{site}/blocks/block/{saved['secret_id']}").status == 200
    assert page.locator("h1").inner_text() == "ui-blocks-secret"
    assert page.locator("code.secret").inner_text() == "********"
    assert_no_secret(page, saved)


def test_a_block_shows_its_fields_with_secret_ones_starred(
    site: str, page: Any, saved: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(f"{site}/blocks/block/{saved['credentials_id']}")
    fields = "table.block-fields"
    assert "ui-blocks-user" in row_named(page, "Username", fields).inner_text()
    assert "https://example.invalid/api" in row_named(page, "Endpoint", fields).inner_text()
    password = row_named(page, "Password", fields)
    assert password.locator("code.secret").inner_text() == "********"
    assert_no_secret(page, saved)
    screenshot(page, "block", tmp_path)


def test_a_block_links_the_block_it_refers_to(site: str, page: Any, saved: dict[str, Any]) -> None:
    page.goto(f"{site}/blocks/block/{saved['service_id']}")
    link = row_named(page, "Credentials", "table.block-fields").get_by_role("link")
    assert link.inner_text() == "ui-blocks-credentials"
    assert_no_secret(page, saved)  # the referenced document's data is not on the page
    link.click()
    page.wait_for_url(f"**/blocks/block/{saved['credentials_id']}")
    assert page.locator("h1").inner_text() == "ui-blocks-credentials"


def test_an_unknown_block_is_a_404_page(site: str, page: Any) -> None:
    response = page.goto(f"{site}/blocks/block/00000000-0000-4000-8000-000000000000")
    assert response.status == 404
    page.console_errors.clear()  # the browser logs the 404 of the document itself


def test_the_variables_page_shows_values_as_escaped_json(
    site: str, page: Any, saved: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(f"{site}/variables?name=ui_blocks")
    answer = row_named(page, "ui_blocks_answer")
    value = answer.locator("code.variable-value")
    # JSON text (PostgreSQL's jsonb keeps its own key order), the HTML in it as text.
    assert json.loads(value.inner_text()) == {"answer": 42, "html": "<b>not bold</b>"}
    assert value.locator("b").count() == 0
    assert answer.locator(".tag").inner_text() == "ui-blocks"
    assert row_named(page, "ui_blocks_greeting").locator("code").first.inner_text() == '"hello"'
    screenshot(page, "variables", tmp_path)

    page.get_by_label("Name contains").fill("greeting")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"name=greeting"))
    assert row_named(page, "ui_blocks_greeting").count() == 1
    assert row_named(page, "ui_blocks_answer").count() == 0


def test_variables_are_created_changed_and_deleted_through_the_api(
    site: str, page: Any, saved: dict[str, Any]
) -> None:
    page.goto(f"{site}/variables?name=ui_blocks_made")
    page.locator("summary", has_text="New variable").click()
    form = page.locator("form[data-api-path='/api/variables/']")
    form.get_by_label("Name", exact=True).fill("ui_blocks_made")
    form.get_by_label("Value (JSON)").fill("[1, 2]")
    form.get_by_label("Tags (comma separated)").fill("made, ui")
    form.get_by_role("button", name="Create").click()
    made = row_named(page, "ui_blocks_made")
    made.locator("code.variable-value").filter(has_text="[1, 2]").wait_for()
    assert made.locator(".tag").all_inner_texts() == ["made", "ui"]

    made.locator("summary", has_text="Edit").click()
    made.get_by_label("Value (JSON)").fill('{"changed": true}')
    made.get_by_role("button", name="Save").click()
    made.locator("code.variable-value").filter(has_text='{"changed": true}').wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    made.get_by_role("button", name="Delete").click()
    made.wait_for(state="detached")
    assert page.request.get(f"{site}/api/variables/name/ui_blocks_made").status == 404
