"""Each Signalbox process refuses to start on a fault it cannot ride out, in one line: a bad
setting, Redis unreachable, a database migrated by a newer Signalbox, a busy port, a home
folder not writable or already used by a running server. Real commands, in subprocesses."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.embedded_redis import free_port
from tests.conftest import TEST_REDIS_URL

#: Every command that starts a long-running Signalbox process.
PROCESSES = {
    "server start": ["server", "start"],
    "server api": ["server", "api"],
    "worker": ["worker", "--pool", "state"],
    "server clock": ["server", "clock"],
}
#: Seconds a refused start has to exit: a process that came up instead is caught here.
REFUSAL_SECONDS = 60


def run(args: list[str], home: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALBOX_")}
    env |= {"SIGNALBOX_HOME": str(home), "SIGNALBOX_API_PORT": str(free_port()), **variables}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env, capture_output=True, text=True, timeout=REFUSAL_SECONDS,
    )  # fmt: skip


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start printed (besides the Redis it names), checked as such."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Redis: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", PROCESSES)
def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path, command: str) -> None:
    result = run(PROCESSES[command], tmp_path, SIGNALBOX_SQLITE_BUSY_TIMEOUT_SECONDS="soon")
    assert refusal(result) == (
        "Error: Bad setting: SIGNALBOX_SQLITE_BUSY_TIMEOUT_SECONDS: Input should be a valid "
        "number, unable to parse string as a number."
    )


@pytest.mark.parametrize("command", PROCESSES)
def test_redis_unreachable_is_one_line(tmp_path: Path, command: str) -> None:
    port = free_port()
    result = run(PROCESSES[command], tmp_path, SIGNALBOX_REDIS_URL=f"redis://127.0.0.1:{port}/9")
    line = refusal(result)
    assert line.startswith(f"Error: Redis at redis://127.0.0.1:{port}/9 does not answer (")
    assert line.endswith("); start it or correct SIGNALBOX_REDIS_URL.")


@pytest.fixture
def newer_database(tmp_path: Path) -> str:
    """A SQLite database whose revision no migration of this Signalbox knows."""
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    return f"sqlite+aiosqlite:///{path}"


@pytest.mark.parametrize("command", ["server start", "server api"])
def test_a_database_migrated_by_a_newer_signalbox_is_one_line(
    tmp_path: Path, newer_database: str, command: str
) -> None:
    result = run(
        PROCESSES[command],
        tmp_path / "home",
        SIGNALBOX_DATABASE_URL=newer_database,
        SIGNALBOX_REDIS_URL=TEST_REDIS_URL,
    )
    assert refusal(result) == (
        "Error: The database was migrated by a newer Signalbox (revision 9999_from_the_future); "
        "upgrade Signalbox."
    )
    assert sqlite3.connect(newer_database.split("///")[1]).execute(
        "SELECT version_num FROM alembic_version"
    ).fetchall() == [("9999_from_the_future",)]  # nothing was downgraded or touched


def test_server_start_refuses_a_newer_database_in_one_line_when_it_does_not_migrate_too(
    tmp_path: Path, newer_database: str
) -> None:
    result = run(
        ["server", "start"],
        tmp_path / "home",
        SIGNALBOX_DATABASE_URL=newer_database,
        SIGNALBOX_REDIS_URL=TEST_REDIS_URL,
        SIGNALBOX_MIGRATE_ON_START="false",
    )
    assert refusal(result).startswith("Error: The database was migrated by a newer Signalbox")


def test_a_home_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run(["server", "start"], blocker / "home")
    assert refusal(result) == (
        f"Error: The home folder {blocker / 'home'} is not writable (Not a directory); "
        "set SIGNALBOX_HOME to a folder this user owns."
    )


def test_a_home_folder_locked_by_a_running_server_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    # What any process of a running server holds (a Redis left by a killed supervisor too),
    # even when its server.pid is gone.
    with (home / "server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run(["server", "start"], home)
    assert refusal(result) == (
        f"Error: A Signalbox server is already running from {home}; stop it first (signalbox "
        "server stop), or give this one another SIGNALBOX_HOME."
    )


@pytest.fixture
def listener() -> Iterator[int]:
    """A port another program listens on."""
    import socket

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


@pytest.mark.parametrize("command", ["server start", "server api"])
def test_a_busy_port_is_one_line(tmp_path: Path, listener: int, command: str) -> None:
    result = run(
        [*PROCESSES[command], "--port", str(listener)],
        tmp_path / "home",
        SIGNALBOX_REDIS_URL=TEST_REDIS_URL,
    )
    assert refusal(result) == (
        f"Error: Cannot listen on 127.0.0.1:{listener}: Address already in use (another "
        "process listens there: stop it, or choose another port)."
    )


def test_a_second_api_cannot_share_the_port_of_a_running_one(
    tmp_path: Path, migrated_url: str
) -> None:
    port = free_port()
    variables = {
        "SIGNALBOX_DATABASE_URL": migrated_url,
        "SIGNALBOX_REDIS_URL": TEST_REDIS_URL,
        "SIGNALBOX_HOME": str(tmp_path / "first"),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALBOX_")} | variables
    first = subprocess.Popen(
        [sys.executable, "-m", "cli", "server", "api", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/api/health", first)
        second = run(["server", "api", "--port", str(port)], tmp_path / "second", **variables)
        assert refusal(second).startswith(f"Error: Cannot listen on 127.0.0.1:{port}: ")
    finally:
        first.terminate()
        first.wait(timeout=30)


def wait_until_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    import time

    deadline = time.monotonic() + REFUSAL_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the first API exited"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)  # polling the API's start, with a deadline
    raise AssertionError(f"{url} did not answer within {REFUSAL_SECONDS} s")
