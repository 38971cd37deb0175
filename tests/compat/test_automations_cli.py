"""The unmodified Prefect 3.9.1 CLI and SDK manage automations on Signalbox: `prefect
automation create --from-file` (YAML and JSON), `ls`, `inspect`, `pause`, `resume`,
`update`, `delete`, and the SDK's `Automation` create / read / update / disable / enable / delete.

With SIGNALBOX_TEST_REFERENCE_PREFECT=1 every test runs against Prefect's own server too,
so that what is asserted is what Prefect does. Names carry a random suffix: the reference
server's database is shared by the tests of this module.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import pytest
import yaml
from aiohttp import ClientSession

from tests.compat.prefect_client import (
    RunningServer,
    client_environ,
    free_port,
    parse_result,
    prefect_python,
    start_reference_prefect_server,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(600)]

REFERENCE: Final = os.environ.get("SIGNALBOX_TEST_REFERENCE_PREFECT") == "1"
SCRIPTS: Final = Path(__file__).parent / "scripts"
#: Seconds one CLI command or script gets (the client's imports are slow on a busy box).
COMMAND_TIMEOUT_SECONDS: Final = 120
CREATED_ID = re.compile(r"'([^']+)' with id ([0-9a-f-]{36})")


@pytest.fixture(scope="session", autouse=True)
def prefect_client() -> Path:
    return prefect_python()


@pytest.fixture(scope="module")
def reference_server() -> Iterator[RunningServer]:
    with start_reference_prefect_server(free_port()) as server:
        yield server


@pytest.fixture(params=["signalbox", "reference"] if REFERENCE else ["signalbox"])
def api_url(request: pytest.FixtureRequest) -> str:
    """The API the client talks to: Signalbox, and Prefect's server when asked for."""
    if request.param == "reference":
        return str(request.getfixturevalue("reference_server").api_url)
    return str(request.getfixturevalue("live_api_url"))


def unique(name: str) -> str:
    return f"{name}-{uuid4().hex[:8]}"


async def prefect(
    api_url: str, home: Path, *args: str, answer: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`prefect <args>` from the Prefect virtualenv; `answer` is typed at its prompt."""
    command = [str(prefect_python().parent / "prefect"), *args]
    environ = {**client_environ(api_url, home), "COLUMNS": "250"}
    return await asyncio.to_thread(
        subprocess.run,
        command,
        cwd=home,
        env=environ,
        input=answer if answer is not None else "",
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )


async def succeeds(api_url: str, home: Path, *args: str, answer: str | None = None) -> str:
    done = await prefect(api_url, home, *args, answer=answer)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def read(api_url: str, automation_id: str) -> tuple[int, Any]:
    async with ClientSession() as http, http.get(f"{api_url}/automations/{automation_id}") as got:
        return got.status, await got.json()


def failed_flows_yaml(name: str) -> str:
    """The README's example: a reactive trigger on failed runs of nightly flows."""
    return f"""\
name: {name}
description: Tell the team when a nightly flow run fails
trigger:
  type: event
  posture: Reactive
  expect:
    - prefect.flow-run.Failed
  match:
    prefect.resource.id: prefect.flow-run.*
  match_related:
    prefect.resource.role: flow
    prefect.resource.name: nightly-*
  threshold: 1
  within: 0
actions:
  - type: cancel-flow-run
  - type: do-nothing
"""


def late_and_compound_json(late: str, compound: str) -> str:
    return json.dumps(
        {
            "automations": [
                {
                    "name": late,
                    "trigger": {
                        "posture": "Proactive",
                        "expect": ["prefect.flow-run.Completed"],
                        "after": ["prefect.flow-run.Running"],
                        "for_each": ["prefect.resource.id"],
                        "within": 3600,
                    },
                    "actions": [{"type": "pause-work-pool", "source": "inferred"}],
                },
                {
                    "name": compound,
                    "trigger": {
                        "type": "compound",
                        "require": "any",
                        "within": 60,
                        "triggers": [
                            {"posture": "Reactive", "expect": ["signalbox.test.a"]},
                            {"posture": "Reactive", "expect": ["signalbox.test.b"]},
                        ],
                    },
                    "actions": [{"type": "do-nothing"}],
                },
            ]
        }
    )


async def create_from_files(api_url: str, home: Path) -> dict[str, str]:
    """Three automations made by `create --from-file`, one YAML and one JSON file; by name."""
    names = {"failed": unique("failed-flows"), "late": unique("late"), "any": unique("any")}
    (home / "failed.yaml").write_text(failed_flows_yaml(names["failed"]))
    (home / "more.json").write_text(late_and_compound_json(names["late"], names["any"]))
    created = await succeeds(api_url, home, "automation", "create", "--from-file", "failed.yaml")
    created += await succeeds(api_url, home, "automation", "create", "-f", "more.json")
    ids = dict(CREATED_ID.findall(created))
    assert set(ids) == set(names.values()), created
    return {key: ids[name] for key, name in names.items()} | {
        f"{key}_name": name for key, name in names.items()
    }


async def test_create_from_yaml_and_json_files_and_ls_lists_them(
    api_url: str, tmp_path: Path
) -> None:
    made = await create_from_files(api_url, tmp_path)
    status, failed = await read(api_url, made["failed"])
    assert status == 200
    assert failed["trigger"]["match_related"] == {
        "prefect.resource.role": "flow",
        "prefect.resource.name": "nightly-*",
    }
    assert [action["type"] for action in failed["actions"]] == ["cancel-flow-run", "do-nothing"]
    late = (await read(api_url, made["late"]))[1]
    assert (late["trigger"]["posture"], late["trigger"]["within"]) == ("Proactive", 3600.0)
    assert late["actions"] == [
        {"type": "pause-work-pool", "source": "inferred", "work_pool_id": None}
    ]
    compound = (await read(api_url, made["any"]))[1]
    assert compound["trigger"]["require"] == "any" and len(compound["trigger"]["triggers"]) == 2

    listed = await succeeds(api_url, tmp_path, "automation", "ls")
    for key in ("failed", "late", "any"):
        assert made[f"{key}_name"] in listed and made[key] in listed, listed
    assert "Reactive: expecting 1 of {'prefect.flow-run.Failed'}" in listed
    assert "Proactive: expecting 1 {'prefect.flow-run.Completed'} event within 1:00:00" in listed
    assert "Any of:" in listed and "Cancel flow run" in listed and "Pause work pool" in listed


async def test_a_body_the_server_refuses_is_reported_and_not_created(
    api_url: str, tmp_path: Path
) -> None:
    name = unique("loop")
    looping = {
        "name": name,
        "trigger": {"posture": "Reactive", "expect": ["prefect.flow-run.Running"]},
        "actions": [{"type": "run-deployment", "source": "inferred"}],
    }
    done = await prefect(api_url, tmp_path, "automation", "create", "-j", json.dumps(looping))
    assert done.returncode == 1
    assert "422" in done.stdout and "infinite loop" in done.stdout, done.stdout
    missing = await prefect(api_url, tmp_path, "automation", "inspect", name)
    assert missing.returncode == 1 and "not found" in missing.stdout


async def test_inspect_by_name_and_by_id_as_json_and_yaml(api_url: str, tmp_path: Path) -> None:
    made = await create_from_files(api_url, tmp_path)
    name = made["failed_name"]
    by_name = json.loads(await succeeds(api_url, tmp_path, "automation", "inspect", name, "--json"))
    [automation] = by_name
    assert (automation["id"], automation["name"]) == (made["failed"], name)
    assert automation["trigger"]["expect"] == ["prefect.flow-run.Failed"]
    by_id = yaml.safe_load(
        await succeeds(api_url, tmp_path, "automation", "inspect", "--id", made["late"], "--yaml")
    )
    assert (by_id["id"], by_id["name"]) == (made["late"], made["late_name"])
    assert by_id["trigger"]["after"] == ["prefect.flow-run.Running"]
    pretty = await succeeds(api_url, tmp_path, "automation", "inspect", "--id", made["any"])
    assert made["any_name"] in pretty
    missing = await prefect(api_url, tmp_path, "automation", "inspect", unique("nothing"))
    assert missing.returncode == 1 and "not found" in missing.stdout


async def test_pause_and_resume_by_name_and_by_id(api_url: str, tmp_path: Path) -> None:
    made = await create_from_files(api_url, tmp_path)

    async def enabled() -> bool:
        return bool((await read(api_url, made["failed"]))[1]["enabled"])

    said = await succeeds(api_url, tmp_path, "automation", "pause", made["failed_name"])
    assert f"Paused automation(s) with name '{made['failed_name']}'" in said
    assert await enabled() is False
    said = await succeeds(api_url, tmp_path, "automation", "resume", "--id", made["failed"])
    assert f"Resumed automation with id '{made['failed']}'" in said
    assert await enabled() is True
    await succeeds(api_url, tmp_path, "automation", "disable", "--id", made["failed"])
    assert await enabled() is False
    await succeeds(api_url, tmp_path, "automation", "enable", made["failed_name"])
    assert await enabled() is True
    # The others were not touched.
    assert (await read(api_url, made["late"]))[1]["enabled"] is True


async def test_update_from_a_file_changes_what_the_file_says_and_keeps_the_rest(
    api_url: str, tmp_path: Path
) -> None:
    made = await create_from_files(api_url, tmp_path)
    await succeeds(api_url, tmp_path, "automation", "pause", "--id", made["failed"])
    renamed = unique("renamed")
    (tmp_path / "change.yaml").write_text(
        f"name: {renamed}\n"
        "trigger:\n  posture: Reactive\n  expect: [prefect.flow-run.Crashed]\n  threshold: 2\n"
        "actions:\n  - type: do-nothing\n"
    )
    said = await succeeds(
        api_url, tmp_path, "automation", "update", "--id", made["failed"], "-f", "change.yaml"
    )
    assert f"Updated automation '{renamed}'" in said
    status, changed = await read(api_url, made["failed"])
    assert status == 200 and changed["name"] == renamed
    trigger = changed["trigger"]
    assert (trigger["expect"], trigger["threshold"], trigger["match"]) == (
        ["prefect.flow-run.Crashed"],
        2,
        {},
    )
    assert changed["actions"] == [{"type": "do-nothing"}]
    # What the file left out stays as it was: still paused, the same description.
    assert changed["enabled"] is False
    assert changed["description"] == "Tell the team when a nightly flow run fails"


async def test_delete_by_name_and_by_id_with_and_without_confirmation(
    api_url: str, tmp_path: Path
) -> None:
    made = await create_from_files(api_url, tmp_path)
    name = made["failed_name"]
    refused = await prefect(
        api_url, tmp_path, "--prompt", "automation", "delete", name, answer="n\n"
    )
    assert refused.returncode == 1 and "Deletion aborted." in refused.stdout
    assert (await read(api_url, made["failed"]))[0] == 200

    said = await succeeds(api_url, tmp_path, "--prompt", "automation", "delete", name, answer="y\n")
    assert f"Deleted automation with name '{name}'" in said
    assert (await read(api_url, made["failed"]))[0] == 404

    said = await succeeds(api_url, tmp_path, "automation", "delete", "--id", made["late"])
    assert f"Deleted automation with id '{made['late']}'" in said
    assert (await read(api_url, made["late"]))[0] == 404
    assert (await read(api_url, made["any"]))[0] == 200

    for args in ((name,), ("--id", made["late"])):
        gone = await prefect(api_url, tmp_path, "automation", "delete", *args)
        assert gone.returncode == 1, gone.stdout


async def test_the_sdk_creates_reads_updates_disables_enables_and_deletes(
    api_url: str, tmp_path: Path
) -> None:
    name = unique("sdk")
    command = [str(prefect_python()), str(SCRIPTS / "automation_sdk.py"), name]
    done = await asyncio.to_thread(
        subprocess.run,
        command,
        env=client_environ(api_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    result = parse_result(done.stdout)
    assert done.returncode == 0 and result is not None, done.stdout + done.stderr

    read_by_id = result["read_by_id"]
    assert read_by_id == result["read_by_name"]
    assert read_by_id["id"] == result["id"] and read_by_id["description"] == "made by the SDK"
    trigger = read_by_id["trigger"]
    assert (trigger["threshold"], trigger["within"], trigger["for_each"]) == (
        2,
        300.0,
        ["prefect.resource.id"],
    )
    assert trigger["match_related"] == {
        "prefect.resource.role": "tag",
        "prefect.resource.id": "prefect.tag.db",
    }
    assert read_by_id["actions"] == [
        {"type": "cancel-flow-run"},
        {
            "type": "pause-work-queue",
            "source": "selected",
            "work_queue_id": result["work_queue_id"],
        },
    ]
    assert read_by_id["actions_on_trigger"] == [{"type": "do-nothing"}]

    updated = result["updated"]
    assert (updated["description"], updated["trigger"]["threshold"]) == ("changed by the SDK", 3)
    assert updated["id"] == result["id"]
    assert (result["disable_returned"], result["paused_enabled"]) == (True, False)
    assert (result["enable_returned"], result["resumed_enabled"]) == (True, True)
    assert (result["first_delete"], result["second_delete"]) == (True, False)
    assert "not found" in result["read_after_delete"]
    assert "not found" in result["read_by_name_after_delete"]
