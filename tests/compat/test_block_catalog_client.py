"""The unmodified Prefect 3.9.1 CLI and SDK see Prefect's block catalog on Signalbox.

`prefect block type ls` lists every type Prefect's server lists, `prefect block create` finds
any of them, and saving the `prefect` package's own blocks (Secret, LocalFileSystem, Webhook)
uses the types and schemas Signalbox registered: the client registers nothing of its own.
With SIGNALBOX_TEST_REFERENCE_PREFECT=1, the same checks run against Prefect's own server,
which must also answer the catalog recorded in tests/integration/reference_block_catalog.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.blocks.prefect_catalog import prefect_catalog
from tests.compat.prefect_client import (
    RunningServer,
    client_environ,
    free_port,
    prefect_python,
    run_flow_script,
    start_reference_prefect_server,
)
from tests.integration.reference_block_catalog import (
    REFERENCE_BLOCK_SCHEMAS,
    REFERENCE_BLOCK_TYPES,
)

FLOWS = Path(__file__).parent / "flows"

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]

with_reference = pytest.mark.skipif(
    os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") != "1",
    reason="a developer check against the reference Prefect server, not part of CI: "
    "set SIGNALBOX_TEST_REFERENCE_PREFECT=1 to run it",
)


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    return prefect_python()


@pytest.fixture(scope="module")
def reference_server() -> Iterator[RunningServer]:
    """The reference Prefect server on a free port of 127.0.0.1, with an empty database."""
    with start_reference_prefect_server(free_port()) as server:
        yield server


def call(api_url: str, method: str, path: str, body: Any = None) -> Any:
    """One JSON request to the API (blocking: the checks run in a thread)."""
    request = urllib.request.Request(
        api_url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def prefect_cli(api_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The Prefect CLI against `api_url`, wide enough that no table cell is cut short."""
    with tempfile.TemporaryDirectory(prefix="prefect-cli-") as home:
        return subprocess.run(
            [str(prefect_python().parent / "prefect"), *args],
            env={**client_environ(api_url, Path(home)), "COLUMNS": "300"},
            cwd=home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def catalog_ids(api_url: str) -> tuple[set[str], set[str]]:
    """The ids of every block type and every block schema the server has."""
    types = call(api_url, "POST", "/block_types/filter", {"limit": 200})
    schemas = call(api_url, "POST", "/block_schemas/filter", {"limit": 200})
    return {row["id"] for row in types}, {row["id"] for row in schemas}


def check_the_cli_lists_and_finds_every_type(api_url: str) -> None:
    listed = prefect_cli(api_url, "block", "type", "ls")
    assert listed.returncode == 0, listed.stderr
    missing = [slug for slug, _ in REFERENCE_BLOCK_TYPES if slug not in listed.stdout]
    assert not missing, listed.stdout
    for slug in ("secret", "local-file-system", "s3-bucket", "slack-webhook"):
        created = prefect_cli(api_url, "block", "create", slug)
        assert created.returncode == 0, created.stdout + created.stderr
        assert f"Create a {slug} block:" in created.stdout
        assert f"/blocks/catalog/{slug}/create" in created.stdout.replace("\n", "")
    unknown = prefect_cli(api_url, "block", "create", "no-such-block")
    assert unknown.returncode == 1
    assert "Block type 'no-such-block' not found!" in unknown.stdout
    assert "aws-credentials" in unknown.stdout  # the types it offers instead


def check_the_sdk_saves_blocks_of_the_catalogs_types(api_url: str, folder: Path) -> None:
    before = catalog_ids(api_url)
    run = run_flow_script(FLOWS / "block_catalog.py", api_url, args=[str(folder)])
    assert run.returncode == 0, run.describe()
    assert run.result["secret"] == "x"
    assert run.result["basepath"] == str(folder)
    assert run.result["read_back"] == "hello"
    assert (folder / "greeting.txt").read_bytes() == b"hello"
    assert run.result["webhook_url"] == "http://127.0.0.1:9/hook"
    # The client found every type and schema: it registered none of its own.
    assert catalog_ids(api_url) == before
    reference = {slug: checksum for slug, version, checksum in REFERENCE_BLOCK_SCHEMAS
                 if version == "3.9.1"}  # fmt: skip
    for slug, document_id in run.result["ids"].items():
        document = call(api_url, "GET", f"/block_documents/{document_id}")
        assert document["block_type"]["slug"] == slug
        assert document["block_type"]["is_protected"]
        assert document["block_schema"]["checksum"] == reference[slug]
        assert document["block_schema"]["version"] == "3.9.1"
    listed = prefect_cli(api_url, "block", "ls")
    assert listed.returncode == 0, listed.stderr
    for name in ("secret/name", "local-file-system/scratch", "webhook/hook"):
        assert name in listed.stdout, listed.stdout


async def test_the_cli_lists_and_finds_every_type_of_the_catalog(live_api_url: str) -> None:
    await asyncio.to_thread(check_the_cli_lists_and_finds_every_type, live_api_url)


async def test_the_sdk_saves_and_loads_the_prefect_packages_blocks(
    live_api_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(
        check_the_sdk_saves_blocks_of_the_catalogs_types, live_api_url, tmp_path
    )


@with_reference
def test_the_reference_server_answers_the_recorded_catalog(
    reference_server: RunningServer,
) -> None:
    api_url = reference_server.api_url
    types = call(api_url, "POST", "/block_types/filter", {"limit": 200})
    assert [(row["slug"], row["is_protected"]) for row in types] == list(REFERENCE_BLOCK_TYPES)
    ours = {entry.slug: entry.model_dump() for entry in prefect_catalog().block_types}
    for row in types:  # name, links, description and example: ours are the reference's
        assert {key: row[key] for key in ours[row["slug"]]} == ours[row["slug"]]
    schemas = call(api_url, "POST", "/block_schemas/filter", {"limit": 200})
    answered = [(row["block_type"]["slug"], row["version"], row["checksum"]) for row in schemas]
    assert answered == list(REFERENCE_BLOCK_SCHEMAS)
    capabilities = {
        (entry.checksum, entry.version): entry.capabilities
        for entry in prefect_catalog().block_schemas
    }
    for row in schemas:  # the server lists a class's capabilities in no fixed order
        assert sorted(row["capabilities"]) == sorted(
            capabilities[(row["checksum"], row["version"])]
        )


@with_reference
def test_the_reference_server_passes_the_same_cli_checks(
    reference_server: RunningServer,
) -> None:
    check_the_cli_lists_and_finds_every_type(reference_server.api_url)


@with_reference
def test_the_reference_server_passes_the_same_sdk_checks(
    reference_server: RunningServer, tmp_path: Path
) -> None:
    check_the_sdk_saves_blocks_of_the_catalogs_types(reference_server.api_url, tmp_path)
