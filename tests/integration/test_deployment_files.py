"""The Procfile, docker-compose.yml and the CLI agree: same processes, same commands."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.main import signalbox
from cli.pools import CHANNELS, POOLS, pool_named

ROOT = Path(__file__).resolve().parents[2]
#: The processes beside the worker pools: the API and the clock.
OTHER_PROCESSES = {"web", "clock"}
#: What docker-compose runs besides Signalbox's processes.
COMPOSE_INFRASTRUCTURE = {"postgres", "redis", "migrate"}


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def without_listen_options(command: list[str]) -> list[str]:
    """The command without --host/--port, which differ between a container and a host."""
    kept, skip = [], False
    for word in command:
        if skip:
            skip = False
        elif word in {"--host", "--port"}:
            skip = True
        else:
            kept.append(word)
    return kept


def test_every_procfile_process_has_a_compose_service_with_the_same_command() -> None:
    services = compose()["services"]
    for name, command in procfile().items():
        assert name in services, f"Procfile process {name} has no compose service"
        assert without_listen_options(services[name]["command"]) == without_listen_options(command)


def test_every_pool_and_channel_has_a_procfile_line() -> None:
    processes = procfile()
    assert {"web", "clock", *(pool.process_name for pool in POOLS)} == set(processes)
    assert {f"notify_{channel}" for channel in CHANNELS} <= set(processes)


def compose_commands() -> dict[str, list[str] | None]:
    return {name: service.get("command") for name, service in compose()["services"].items()}


def pool_run_by(command: list[str] | None) -> str | None:
    """The pool a `signalbox worker --pool <name>` command runs, whichever spelling it uses."""
    if not command or command[:2] != ["signalbox", "worker"]:
        return None
    return pool_named(command[command.index("--pool") + 1]).name


@pytest.mark.parametrize(
    ("read", "besides_pools"),
    [(procfile, OTHER_PROCESSES), (compose_commands, OTHER_PROCESSES | COMPOSE_INFRASTRUCTURE)],
    ids=["Procfile", "docker-compose"],
)
def test_each_pool_runs_in_exactly_one_process_named_after_it_and_nothing_else_runs(
    read: Callable[[], dict[str, list[str] | None]], besides_pools: set[str]
) -> None:
    processes = read()
    pools = {name: pool for name, command in processes.items() if (pool := pool_run_by(command))}
    assert sorted(pools.values()) == sorted(pool.name for pool in POOLS)  # each exactly once
    assert pools == {pool.process_name: pool.name for pool in POOLS}
    assert set(processes) - set(pools) == besides_pools


def test_every_command_exists_in_the_cli() -> None:
    commands = [c for c in procfile().values()] + [
        s["command"] for s in compose()["services"].values() if "command" in s
    ]
    for command in commands:
        if command[0] != "signalbox":
            continue  # redis-server
        args = ["4200" if word.startswith("$") else word for word in command[1:]]
        result = CliRunner().invoke(signalbox, [*args, "--help"])
        assert result.exit_code == 0, f"{shlex.join(command)}: {result.output}"


def test_compose_has_the_stack_the_design_asks_for() -> None:
    services = compose()["services"]
    assert "pg_isready" in str(services["postgres"]["healthcheck"])
    redis_command = services["redis"]["command"]
    assert "--appendonly" in redis_command and "noeviction" in redis_command
    assert services["migrate"]["command"][:4] == ["signalbox", "server", "database", "upgrade"]
    assert "healthcheck" in services["web"]
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose plugin is not installed; the file is checked by parsing above",
)
def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_procfile_api_listens_where_clients_look_not_on_the_port_honcho_hands_out() -> None:
    # honcho and foreman set PORT (5000 for the first process); Prefect clients are pointed at
    # SIGNALBOX_API_PORT's 4200, so the web process must not follow PORT.
    command = procfile()["web"]
    assert not any("PORT" in word and "SIGNALBOX" not in word for word in command)
