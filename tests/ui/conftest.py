"""The UI's browser tests: one whole Signalbox server for the package, a real Chromium.

The server is `signalbox server start` (API, every worker pool, the clock) on the suite's
database (PostgreSQL emptied first, SQLite fresh in its home) with its own embedded Redis.
Data comes from the real Prefect client: each test module runs its flow script once
(`run_client_script`) and reads the ids it prints. Chromium is Debian's, driven by Playwright;
every page a test opens must leave the browser console without an error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat.deployments.conftest import whole_signalbox
from tests.compat.prefect_client import RunningServer, prefect_python, run_flow_script
from tests.conftest import IN_CI

#: Where the tests save their screenshots (docs/ui for the README); unset: each test's folder.
SCREENSHOTS = os.environ.get("SIGNALBOX_UI_SCREENSHOTS")
#: The package server's settings: failing deliveries give up after a few quick attempts, so
#: a test sees a delivery fail for good within seconds.
SERVER_SETTINGS = {
    "SIGNALBOX_DELIVERY_MAX_ATTEMPTS": "3",
    "SIGNALBOX_DELIVERY_BACKOFF_SECONDS": "0.5",
    "SIGNALBOX_DELIVERY_MAX_BACKOFF_SECONDS": "1",
}
#: The flow scripts the modules run with the Prefect client.
FLOWS = Path(__file__).parent / "flows"


def chromium_path() -> str:
    """Debian's Chromium (`apt-get install chromium`); Playwright's own download is not used."""
    found = os.environ.get("SIGNALBOX_TEST_CHROMIUM") or shutil.which("chromium")
    if found is None:
        message = "no Chromium: `apt-get install chromium` (or set SIGNALBOX_TEST_CHROMIUM)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="package")
def ui_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """Signalbox, whole, for every test of the package."""
    prefect_python()  # build the client's virtualenv before the server's start-up deadline
    yield from whole_signalbox(request, tmp_path_factory, SERVER_SETTINGS)


@pytest.fixture(scope="package")
def site(ui_server: RunningServer) -> str:
    """The server's root URL, where the pages are (`http://127.0.0.1:<port>`)."""
    return ui_server.api_url.removesuffix("/api")


def run_client_script(ui_server: RunningServer, name: str, timeout: float = 180) -> dict[str, Any]:
    """Run `tests/ui/flows/<name>` with the Prefect client against the server; its RESULT."""
    completed = run_flow_script(FLOWS / name, ui_server.api_url, timeout=timeout)
    assert completed.returncode == 0, completed.describe()
    return completed.result


@pytest.fixture(scope="package")
def browser(ui_server: RunningServer) -> Iterator[Any]:
    """A headless Chromium for the package.

    It starts after the server and stops before it: Playwright's event loop runs in this
    thread while the browser is open, and the server's set-up and tear-down need their own.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleErrors(list[str]):
    """What the browser console and the page's scripts reported as errors."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page; the test fails if the console shows an error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = ConsoleErrors()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    try:
        yield page
        assert not errors, f"the browser console showed errors: {errors}"
    finally:
        context.close()


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    """Save the page as `<name>.png`: in SIGNALBOX_UI_SCREENSHOTS (docs/ui for the README)
    when set, in the test's folder otherwise."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
