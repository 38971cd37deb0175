"""`cli/forked_children.py`: a `signalbox` command forked from a parent, as a started one.

Each case forks from a fresh Python process of its own (never from pytest's, which runs
threads a fork would copy half-way).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FORK_AND_REPORT = """
import json, os, sys
from cli.forked_children import ForkedProcess

command, env = json.loads(sys.argv[1])
child = ForkedProcess([sys.executable, "-m", "cli", *command], env)
code = child.wait(timeout=60)
print(json.dumps({"code": code, "pid": child.pid, "parent": os.getpid()}))
"""


def fork_command(command: list[str], env: dict[str, str]) -> tuple[dict[str, int], str]:
    """Run `signalbox <command>` forked from a fresh parent; its report and all the output."""
    finished = subprocess.run(
        [sys.executable, "-c", FORK_AND_REPORT, json.dumps([command, env])],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    *output, report = finished.stdout.splitlines()
    return json.loads(report), "\n".join(output) + finished.stderr


def test_a_forked_command_runs_with_the_environment_it_is_given(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SIGNALBOX_HOME": str(tmp_path / "given-home")}
    report, output = fork_command(["config"], env)
    assert report["code"] == 0, output
    assert report["pid"] != report["parent"]
    assert "SIGNALBOX_HOME" in output and str(tmp_path / "given-home") in output, output


def test_a_forked_command_exits_with_the_code_click_gives(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SIGNALBOX_HOME": str(tmp_path)}
    report, output = fork_command(["no-such-command"], env)
    assert report["code"] == 2, output  # click's usage error
    assert "No such command" in output

    report, output = fork_command(["config"], {**env, "SIGNALBOX_API_PORT": "not-a-port"})
    assert report["code"] == 1, output  # a bad setting: ClickException
    assert "SIGNALBOX_API_PORT" in output
