"""How the CLI finds its server's Redis: SIGNALBOX_REDIS_URL, else the running server's file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli.main import signalbox
from cli.server_files import (
    REDIS_URL_FILE,
    claim_pid_file,
    find_redis_url,
    read_server_files,
    remove_server_files,
    use_server_redis,
    write_server_addresses,
)
from models.settings import Settings

SERVER_REDIS = "redis://:s3cret-p4ss@127.0.0.1:41234/0"


@pytest.fixture
def no_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # The suite points it at the test Redis; restored (whatever the test set) afterwards.
    monkeypatch.delenv("SIGNALBOX_REDIS_URL")


@pytest.fixture
def gone_pid() -> int:
    """The pid of a process that has exited (and been waited for)."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


@pytest.fixture
def running_server(tmp_path: Path) -> Iterator[Path]:
    """A home folder whose server.pid names a live process (this one) and its Redis URL."""
    home = tmp_path / "home"
    claim_pid_file(home, os.getpid())
    write_server_addresses(home, redis_url=SERVER_REDIS, api_url="http://127.0.0.1:4200/api")
    yield home


def test_the_running_servers_redis_is_used_when_no_url_is_set(
    running_server: Path, no_redis_url: None
) -> None:
    url, source = find_redis_url(Settings(home=running_server))
    assert url == SERVER_REDIS
    assert source == str(running_server / REDIS_URL_FILE)


def test_signalbox_redis_url_wins_over_the_servers_file(running_server: Path) -> None:
    settings = Settings(home=running_server, redis_url="redis://elsewhere:6379/2")
    assert find_redis_url(settings) == ("redis://elsewhere:6379/2", "SIGNALBOX_REDIS_URL")


def test_with_neither_a_url_nor_a_server_the_cli_refuses_instead_of_guessing(
    tmp_path: Path, no_redis_url: None
) -> None:
    with pytest.raises(click.ClickException, match="no server is running from"):
        find_redis_url(Settings(home=tmp_path))


def test_a_file_left_by_a_server_that_died_is_not_trusted(
    tmp_path: Path, gone_pid: int, no_redis_url: None
) -> None:
    claim_pid_file(tmp_path, gone_pid)
    write_server_addresses(tmp_path, redis_url=SERVER_REDIS, api_url="http://x/api")
    with pytest.raises(click.ClickException, match=f"pid {gone_pid}\\) is gone"):
        find_redis_url(Settings(home=tmp_path))


def test_the_cli_says_which_redis_it_talks_to_with_the_password_masked(
    running_server: Path, no_redis_url: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert use_server_redis(Settings(home=running_server)) == SERVER_REDIS
    assert os.environ["SIGNALBOX_REDIS_URL"] == SERVER_REDIS  # for the broker and children
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        f"Redis: redis://:***@127.0.0.1:41234/0 (from {running_server / REDIS_URL_FILE})\n"
    )


@pytest.mark.parametrize(
    "command",
    [["queue", "stats"], ["queue", "purge", "state", "-y"], ["queue", "replay", "--all"],
     ["notifications", "replay", "--all-failed"], ["worker", "--pool", "state"]],
)  # fmt: skip
def test_redis_commands_without_a_server_or_url_fail_clearly(
    tmp_path: Path, command: list[str]
) -> None:
    env = {"SIGNALBOX_HOME": str(tmp_path), "SIGNALBOX_REDIS_URL": None}
    result = CliRunner().invoke(signalbox, command, env=env)
    assert result.exit_code == 1, result.output
    assert "Which Redis? SIGNALBOX_REDIS_URL is not set" in result.output


def test_the_servers_files_are_private_and_a_second_server_is_refused(
    running_server: Path,
) -> None:
    for name in ("server.pid", "redis.url", "api.url"):
        assert stat.S_IMODE((running_server / name).stat().st_mode) == 0o600
    with pytest.raises(click.ClickException, match="already running"):
        claim_pid_file(running_server, os.getpid() + 1)


def test_the_files_of_another_server_are_not_removed(running_server: Path) -> None:
    remove_server_files(running_server, os.getpid() + 1)
    recorded = read_server_files(running_server)
    assert recorded is not None and recorded.alive and recorded.redis_url == SERVER_REDIS
    remove_server_files(running_server, os.getpid())
    assert read_server_files(running_server) is None
    assert not (running_server / REDIS_URL_FILE).exists()


def test_a_server_starting_where_one_died_takes_over_its_pid_file(
    tmp_path: Path, gone_pid: int
) -> None:
    claim_pid_file(tmp_path, gone_pid)
    claim_pid_file(tmp_path, os.getpid())
    recorded = read_server_files(tmp_path)
    assert recorded is not None and recorded.pid == os.getpid() and recorded.alive


def test_a_server_still_starting_its_redis_is_named_as_such(
    tmp_path: Path, no_redis_url: None
) -> None:
    claim_pid_file(tmp_path, os.getpid())
    with pytest.raises(click.ClickException, match="has not started its Redis yet"):
        find_redis_url(Settings(home=tmp_path))


def test_stop_without_a_running_server_says_so_and_clears_a_dead_servers_files(
    tmp_path: Path, gone_pid: int
) -> None:
    claim_pid_file(tmp_path, gone_pid)
    write_server_addresses(tmp_path, redis_url=SERVER_REDIS, api_url="http://x/api")
    result = CliRunner().invoke(
        signalbox, ["server", "stop"], env={"SIGNALBOX_HOME": str(tmp_path)}
    )
    assert result.exit_code == 0
    assert result.output == f"No Signalbox server is running from {tmp_path}.\n"
    assert read_server_files(tmp_path) is None and not (tmp_path / REDIS_URL_FILE).exists()


def test_status_without_a_server_exits_3_and_creates_nothing(
    tmp_path: Path, no_redis_url: None
) -> None:
    home = tmp_path / "home"
    env = {"SIGNALBOX_HOME": str(home), "SIGNALBOX_DATABASE_URL": None}
    result = CliRunner().invoke(signalbox, ["server", "status"], env=env)
    assert result.exit_code == 3, result.output
    assert result.output.splitlines() == [
        f"Signalbox server: not running (no server.pid in {home})",
        f"Database: sqlite+aiosqlite:///{home}/signalbox.db",
        "  revision no database yet (the server creates it when it starts)",
        "Redis: none (no server running and SIGNALBOX_REDIS_URL not set)",
    ]
    assert not home.exists()
