"""The servers a benchmark run starts: the ceiling probe, Signalbox, a throwaway PostgreSQL.

Each is a context manager that yields a RunningServer once it answers, and on exit stops every
process it started (by pid, walking the process tree it snapshots before stopping), also when
the block ends with an exception or Ctrl-C. Everything listens on 127.0.0.1. The reference
Prefect server in a home of the caller's choosing (to start it on a database seeded before) is
here too; in a fresh home it comes from tests/compat/prefect_client.py, which stops it the same
way.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from uuid import uuid4

import psycopg
from sqlalchemy.engine import URL, make_url

from tests.compat.prefect_client import (
    RunningServer,
    client_environ,
    free_port,
    prefect_python,
)

#: The repository root: `python -m cli` runs from here.
REPOSITORY: Final = Path(__file__).resolve().parent.parent
#: Seconds a server has to answer its health check (imports, migrations, six processes).
START_TIMEOUT_SECONDS: Final = 120.0
#: Seconds a server has to exit after it is asked to stop, before the rest is killed.
STOP_GRACE_SECONDS: Final = 30.0


@contextmanager
def ceiling_probe(workdir: Path) -> Iterator[RunningServer]:
    """bench/ceiling_server.py on a free port: the same API answered from memory."""
    port = free_port()
    log_path = workdir / "ceiling.log"
    command = [sys.executable, str(REPOSITORY / "bench" / "ceiling_server.py"), str(port)]
    with start_process(command, log_path, os.environ.copy()) as process:
        api_url = f"http://127.0.0.1:{port}/api"
        wait_until_answering(f"{api_url}/health", process, log_path)
        yield RunningServer(api_url, log_path, process.pid)


@contextmanager
def signalbox_server(
    workdir: Path,
    database_url: str | None,
    api_processes: int = 1,
    worker_processes: int = 1,
    settings: Mapping[str, str] | None = None,
) -> Iterator[RunningServer]:
    """`signalbox server start` with a fresh home (SQLite there unless `database_url` is given).

    `settings` are further SIGNALBOX_* variables. The embedded Redis lives in the home too.
    Yields once /api/ready answers; the pid is the supervisor's, whose process tree holds the
    API, the worker pools, the clock and Redis.
    """
    port = free_port()
    home = workdir / "signalbox-home"
    environ = {
        name: value for name, value in os.environ.items() if not name.startswith("SIGNALBOX_")
    }
    environ |= {"SIGNALBOX_HOME": str(home), "SIGNALBOX_API_PORT": str(port)}
    if database_url is not None:
        environ["SIGNALBOX_DATABASE_URL"] = database_url
    environ |= settings or {}
    log_path = workdir / "signalbox.log"
    command = [sys.executable, "-m", "cli", "server", "start", "--host", "127.0.0.1",
               "--api-processes", str(api_processes),
               "--worker-processes", str(worker_processes)]  # fmt: skip
    with start_process(command, log_path, environ, stop_signal=signal.SIGINT) as process:
        api_url = f"http://127.0.0.1:{port}/api"
        wait_until_answering(f"{api_url}/ready", process, log_path)
        yield RunningServer(api_url, log_path, process.pid)


@contextmanager
def reference_prefect_server(home: Path) -> Iterator[RunningServer]:
    """`prefect server start` (3.9.1, from its own virtualenv) with `home` as PREFECT_HOME.

    For a run that brings its database along: a file placed beforehand where
    `reference_prefect_database_file(home)` says is the one the server opens (its default
    SQLite). Stopped as the Signalbox server is.
    """
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    environ = client_environ(api_url, home) | {"PREFECT_UI_ENABLED": "false"}
    command = [str(prefect_python().parent / "prefect"), "server", "start",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    log_path = home / "server.log"
    # From its home: Prefect reads settings from a prefect.toml or .env in its directory.
    with start_process(command, log_path, environ, cwd=home) as process:
        wait_until_answering(f"{api_url}/health", process, log_path)
        yield RunningServer(api_url, log_path, process.pid)


def signalbox_database_url(workdir: Path, database_url: str | None) -> str:
    """The URL the Signalbox under test uses: the given one, or SQLite in its fresh home."""
    if database_url is not None:
        return database_url
    return f"sqlite+aiosqlite:///{signalbox_database_file(workdir)}"


def signalbox_database_file(workdir: Path) -> Path:
    """The SQLite file of a Signalbox started in `workdir` without a database URL."""
    return workdir / "signalbox-home" / "signalbox.db"


def reference_prefect_database_file(home: Path) -> Path:
    """The SQLite file of a reference Prefect server with `home` as PREFECT_HOME (its default)."""
    return home / "prefect.db"


@contextmanager
def start_process(
    command: list[str],
    log_path: Path,
    environ: dict[str, str],
    *,
    stop_signal: signal.Signals = signal.SIGTERM,
    cwd: Path = REPOSITORY,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in a session of its own (Ctrl-C reaches only us; we stop it in order)."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop_process_tree(process, stop_signal)


def stop_process_tree(process: subprocess.Popen[bytes], stop_signal: signal.Signals) -> None:
    """Ask the process to stop, wait, then kill whatever of its tree is still there.

    The tree is read before the signal: once the parent is gone its orphans belong to init
    and can no longer be found from it.
    """
    tree = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    deadline = time.monotonic() + STOP_GRACE_SECONDS / 3
    left = [pid for pid in tree if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)  # children the supervisor is still stopping
        left = [pid for pid in left if alive(pid)]
    for pid in left:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def descendants(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """Every process below `root`, read from /proc (or from a `children_by_parent` map)."""
    children = children_by_parent() if children is None else children
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def children_by_parent() -> dict[int, list[int]]:
    """The pids of every process's children, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def alive(pid: int) -> bool:
    """Whether `pid` is a process that has not exited (a zombie counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_answering(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll `url` until it answers 200; raise if the process dies or the deadline passes."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(0.2)  # polling interval, bounded by the deadline
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_SECONDS} s")


@dataclass(frozen=True)
class ThrowawayDatabase:
    """A PostgreSQL database made for one benchmark run."""

    url: str  # SQLAlchemy URL for Signalbox, password included
    server_version: str
    postmaster_pid: int | None  # to sample the database server's CPU; None if not local


@contextmanager
def throwaway_postgres(server_url: str, template: str | None = None) -> Iterator[ThrowawayDatabase]:
    """A new database `signalbox_bench_<random>` on the server of `server_url`, dropped after.

    The database named in `server_url` is only connected to, to create and drop ours; it is
    never written. With `template`, the new database is a copy of that one (PostgreSQL copies
    its files: seconds for what took minutes to seed).
    """
    server = make_url(server_url)
    require_loopback(server.host)
    name = f"signalbox_bench_{uuid4().hex[:10]}"
    with psycopg.connect(libpq_url(server), autocommit=True) as admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        backend = int(admin.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        postmaster = parent_pid(backend)
        copied = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{copied}')
    try:
        url = server.set(drivername="postgresql+psycopg", database=name)
        yield ThrowawayDatabase(url.render_as_string(hide_password=False), version, postmaster)
    finally:
        with psycopg.connect(libpq_url(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def require_loopback(host: str | None) -> None:
    """Benchmarks only ever talk to this machine; a unix socket (no host) is local too."""
    if host is None or host.startswith("/"):
        return
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    if not all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses):
        raise SystemExit(f"Refusing a database on {host}: benchmarks run on loopback only.")


def libpq_url(url: URL) -> str:
    """The URL as libpq reads it (no `+driver`), on the maintenance database by default."""
    plain = url.set(drivername="postgresql", database=url.database or "postgres")
    return plain.render_as_string(hide_password=False)


def parent_pid(pid: int) -> int | None:
    """The parent of a local process (a backend's parent is the postmaster), if readable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
