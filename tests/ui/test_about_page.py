"""`/about`, the live stream and the error pages, in a real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ui.conftest import screenshot


def test_about_page_shows_the_server_and_its_queues(page: Any, site: str, tmp_path: Path) -> None:
    response = page.goto(f"{site}/about")
    assert response.status == 200
    facts = page.locator("dl.facts").inner_text()
    assert "sqlite" in facts or "postgresql" in facts
    # Every required queue is consumed by a live worker process of the whole server.
    for queue in ("state", "ingest", "services", "automations", "actions"):
        row = page.locator("tr", has=page.locator(f"th:text-is('{queue}')"))
        assert row.locator("td").first.inner_text() == "alive"
    # The embedded Redis's password is masked in the settings table.
    redis_url = page.locator("tr", has=page.locator("code:text-is('SIGNALBOX_REDIS_URL')"))
    assert redis_url.locator("td").inner_text().startswith("redis://:***@")
    screenshot(page, "about", tmp_path)


def test_an_unknown_page_is_a_404_page(page: Any, site: str) -> None:
    response = page.goto(f"{site}/no-such-page")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    page.console_errors.clear()  # the browser logs the 404 of the document itself


def test_settings_is_the_about_page(page: Any, site: str) -> None:
    page.goto(f"{site}/settings")
    assert page.locator("h1").inner_text() == "About this server"
