"""Runs the matrix's actions against one server, once each, and checks a row's outcome.

Scripts run on first need and their results are kept for the rows that follow: one process
per SDK script, one process for every CLI row. A row's reads are then sent to the server
until the answer matches (task runs, logs and events reach a server after the client moves
on), or a deadline passes and the last answer is shown beside the expectation.
"""

from __future__ import annotations

import json
import pprint
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from tests.compat.matrix.rows import CLI, Action, Read, matches
from tests.compat.prefect_client import run_flow_script

SCRIPTS: Final = Path(__file__).parent / "scripts"

#: Seconds a read waits for the server to show what an action left behind.
SETTLE_TIMEOUT_SECONDS: Final = 30.0
#: Seconds between two reads while waiting.
POLL_INTERVAL_SECONDS: Final = 0.25
#: Seconds one script (or the CLI batch) may run.
SCRIPT_TIMEOUT_SECONDS: Final = 300.0


class MatrixRun:
    """The matrix run against one server: what the client saw, by runner, computed lazily."""

    def __init__(self, api_url: str, actions: Sequence[Action]) -> None:
        self.api_url = api_url
        self.actions = actions
        self._seen: dict[str, dict[str, Any]] = {}
        self._output: dict[str, str] = {}
        self._broken: dict[str, BaseException] = {}  # a runner that failed fails its rows

    def seen(self, action: Action) -> Any:
        """What the client saw of `action` (running its script or the CLI batch if needed)."""
        if action.runs in self._broken:
            raise AssertionError(f"{action.runs} failed") from self._broken[action.runs]
        if action.runs not in self._seen:
            try:
                self._seen[action.runs] = self._run(action.runs)
            except Exception as failed:
                self._broken[action.runs] = failed
                raise
        by_action = self._seen[action.runs]
        assert action.name in by_action, (
            f"{action.runs} reported nothing for {action.name}\n{self._output[action.runs]}"
        )
        return by_action[action.name]

    def _run(self, runs: str) -> dict[str, Any]:
        if runs == CLI:
            return self._run_cli_batch()
        return self._run_script(runs.removeprefix("sdk:"), ())

    def _run_script(self, stem: str, args: Sequence[str]) -> dict[str, Any]:
        key = CLI if stem == "cli_batch" else f"sdk:{stem}"
        completed = run_flow_script(
            SCRIPTS / f"{stem}.py", self.api_url, timeout=SCRIPT_TIMEOUT_SECONDS, args=args
        )
        self._output[key] = completed.describe()
        return completed.result

    def _run_cli_batch(self) -> dict[str, Any]:
        rows = [
            {"name": a.name, "argv": a.argv, "setup": a.setup, "stdin": a.stdin}
            for a in self.actions
            if a.runs == CLI
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="matrix-cli-") as listing:
            json.dump(rows, listing)
            listing.flush()
            return self._run_script("cli_batch", [listing.name])

    def check(self, action: Action) -> None:
        """Assert what the client saw of `action`, then every read of the server after it."""
        seen = self.seen(action)
        if action.sees is not None:
            assert matches(seen, action.sees), failure("The client saw", action.sees, seen)
        fields = seen if isinstance(seen, dict) else {}
        for read in action.reads:
            settle(self.api_url, read, fields)


def failure(what: str, expected: Any, observed: Any) -> str:
    return (
        f"{what}:\n{pprint.pformat(observed, width=100)[:4000]}\n"
        f"expected:\n{pprint.pformat(expected, width=100)}"
    )


def fill(template: Any, fields: dict[str, Any]) -> Any:
    """`template` with `{name}` in its strings replaced by what the client saw."""
    if isinstance(template, str):
        for name, value in fields.items():
            template = template.replace("{" + name + "}", str(value))
        return template
    if isinstance(template, dict):
        return {key: fill(value, fields) for key, value in template.items()}
    if isinstance(template, list | tuple):
        return [fill(item, fields) for item in template]
    return template


def settle(api_url: str, read: Read, fields: dict[str, Any]) -> None:
    """Send `read` until the server answers as expected; fail with the last answer."""
    path, body, expect = fill(read.path, fields), fill(read.body, fields), fill(read.expect, fields)
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        status, answer = request(api_url, read.method, path, body)
        if status == read.status and (expect is None or matches(answer, expect)):
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                failure(
                    f"{read.method} {path} answered {status} (expected {read.status})",
                    expect,
                    answer,
                )
            )
        time.sleep(POLL_INTERVAL_SECONDS)  # polling interval, bounded by the deadline


def request(api_url: str, method: str, path: str, body: Any) -> tuple[int, Any]:
    """One JSON request to the API: its status and decoded body (whatever the status)."""
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(
        api_url.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(sent, timeout=10) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as refused:
        status, payload = refused.code, refused.read()
    try:
        return status, json.loads(payload) if payload else None
    except json.JSONDecodeError:
        return status, payload.decode(errors="replace")
