"""Running one benchmark on each target in turn: Signalbox and the reference Prefect server.

A benchmark built on this module names its results (`scheduler`, `polling`) and gives the
measurement of one target; this module parses the options every such benchmark takes
(--targets, --database-url, --out), starts each target in a fresh folder (Signalbox by
`signalbox server start`, on SQLite or on a throwaway database of --database-url; the
reference Prefect 3.9.1 server on its own SQLite; either SQLite empty, or a copy of a file
seeded by an earlier run), measures the CPU of its processes by role and the machine's load
average around the measurement, and prints and appends one RESULT line of JSON per target.
Every process started is stopped at the end, on error, on Ctrl-C and on SIGTERM too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NoReturn

import aiohttp

from bench import process_usage
from bench.servers import (
    REPOSITORY,
    reference_prefect_database_file,
    reference_prefect_server,
    signalbox_database_file,
    signalbox_database_url,
    signalbox_server,
    throwaway_postgres,
)
from models.settings import mask_url_password
from tests.compat.prefect_client import RunningServer

TARGETS: Final = ("signalbox", "prefect")
REQUEST_TIMEOUT_SECONDS: Final = 60.0
#: Below uvicorn's 5 s: a connection the reference server closed is never reused.
KEEPALIVE_SECONDS: Final = 4.0

#: The measurement of one target: its name, the options, a fresh folder, and the stack that
#: stops what it starts; returns the target's summary.
MeasureTarget = Callable[[str, argparse.Namespace, Path, ExitStack], dict[str, Any]]


@dataclass(frozen=True)
class StartedTarget:
    """A target answering on 127.0.0.1, and the database behind it."""

    server: RunningServer
    database: str  # "sqlite" or "postgresql"
    database_pid: int | None  # the throwaway PostgreSQL's server, whose CPU is counted too
    database_url: str | None  # Signalbox's database URL (None for the reference)
    database_file: Path | None  # the SQLite file the server opens (None on PostgreSQL)


def start_target(
    target: str,
    database_url: str | None,
    workdir: Path,
    stack: ExitStack,
    database_copy: Path | None = None,
    database_template: str | None = None,
) -> StartedTarget:
    """Start `target` in `workdir`; `stack` stops it (and drops a throwaway database).

    With `database_copy`, an SQLite file seeded by an earlier run, the target starts on a copy
    of it rather than on an empty database (SQLite only: not with `database_url`); with
    `database_template`, a database of the PostgreSQL server, on a throwaway copy of that one.
    """
    if target == "prefect":
        home = workdir / "prefect-home"
        database_file = reference_prefect_database_file(home)
        place_copy(database_copy, database_file)
        say("Starting the reference Prefect 3.9.1 server...")
        server = stack.enter_context(reference_prefect_server(home))
        return StartedTarget(server, "sqlite", None, None, database_file)
    database, database_pid, signalbox_file = "sqlite", None, None
    if database_url:
        if database_copy is not None:
            raise ValueError("A copy of an SQLite file cannot start Signalbox on PostgreSQL.")
        throwaway = stack.enter_context(throwaway_postgres(database_url, database_template))
        database_url, database = throwaway.url, "postgresql"
        database_pid = throwaway.postmaster_pid
    else:
        signalbox_file = signalbox_database_file(workdir)
        place_copy(database_copy, signalbox_file)
    say("Starting Signalbox...")
    server = stack.enter_context(signalbox_server(workdir, database_url))
    url = signalbox_database_url(workdir, database_url)
    return StartedTarget(server, database, database_pid, url, signalbox_file)


def place_copy(database_copy: Path | None, database_file: Path) -> None:
    """Copy a seeded SQLite file to where a server about to start opens its database."""
    if database_copy is None:
        return
    say(f"On a copy of {database_copy}.")
    database_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database_copy, database_file)


def client_session(connections: int = 100) -> aiohttp.ClientSession:
    """An HTTP client for a benchmark's requests: at most `connections` open at once, none
    kept longer than the reference server keeps it."""
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=KEEPALIVE_SECONDS)
    return aiohttp.ClientSession(timeout=timeout, connector=connector)


@dataclass(frozen=True)
class CpuUsed:
    """The CPU a target's processes used while watched, and the machine's load around it."""

    percent: dict[str, float]  # by role, with "total"
    seconds: float  # CPU seconds of the target's processes in all
    database_percent: float | None  # the throwaway PostgreSQL's, when there is one
    load_before: tuple[float, float, float]  # the 1, 5 and 15 minute load averages
    load_after: tuple[float, float, float]
    elapsed: float = 0.0  # seconds watched

    def summary_fields(self) -> dict[str, Any]:
        # CPU seconds move much less than wall-clock figures when the machine is shared.
        fields: dict[str, Any] = {
            "cpu_percent": self.percent,
            "cpu_seconds": round(self.seconds, 2),
            "load_average_before": [round(value, 2) for value in self.load_before],
            "load_average_after": [round(value, 2) for value in self.load_after],
        }
        if self.database_percent is not None:
            fields["database_cpu_percent"] = self.database_percent
        return fields


class CpuWatch:
    """Watches the CPU of a started target's processes (and its PostgreSQL) from now on."""

    def __init__(self, target: str, started: StartedTarget) -> None:
        self.target = target
        self.pid = started.server.pid
        self.database_pid = started.database_pid
        self.load_before = os.getloadavg()
        self.before = process_usage.snapshot(self.pid)
        self.database_before = (
            process_usage.snapshot(self.database_pid) if self.database_pid else None
        )

    def read(self) -> CpuUsed:
        after = process_usage.snapshot(self.pid)
        cpu = process_usage.cpu_percent_by_role(self.before, after)
        if self.target == "prefect":  # one server process (uvicorn with its services in it)
            cpu = {"prefect server": round(sum(cpu.values()), 1)}
        seconds = sum(cpu.values()) / 100 * (after.taken - self.before.taken)
        database_percent = None
        if self.database_before is not None and self.database_pid is not None:
            used = process_usage.cpu_percent_by_role(
                self.database_before, process_usage.snapshot(self.database_pid)
            )
            database_percent = round(sum(used.values()), 1)
        percent = cpu | {"total": round(sum(cpu.values()), 1)}
        elapsed = after.taken - self.before.taken
        return CpuUsed(percent, seconds, database_percent, self.load_before, os.getloadavg(),
                       elapsed)  # fmt: skip


def target_parser(doc: str | None, results: str) -> argparse.ArgumentParser:
    """A parser with the options every target benchmark takes; `results` names its file."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma list")
    parser.add_argument("--database-url", help="Signalbox on a throwaway database of this server")
    parser.add_argument(
        "--out", help=f"JSONL results (default bench/results/{results}-<stamp>.jsonl)"
    )
    return parser


def parse_target_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The options, with --targets as a list of known targets."""
    args = parser.parse_args()
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    for target in args.targets:
        if target not in TARGETS:
            parser.error(f"unknown target {target}: {' or '.join(TARGETS)}")
    return args


def run_on_targets(results: str, args: argparse.Namespace, measure_target: MeasureTarget) -> None:
    """Measure each target in turn and write its RESULT line (to stdout and --out)."""
    signal.signal(signal.SIGTERM, stop_on_sigterm)  # stop the servers as on Ctrl-C
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or REPOSITORY / "bench" / "results" / f"{results}-{stamp}.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    for target in args.targets:
        # One server at a time, each stopped before the next starts: same machine conditions.
        with tempfile.TemporaryDirectory(prefix=f"sbx-{results}-") as tmp, ExitStack() as stack:
            summary = measure_target(target, args, Path(tmp), stack)
        command = [mask_url_password(w) if "://" in w else w for w in sys.argv]
        summary |= {"run": stamp, "command": " ".join(command)}
        print("RESULT " + json.dumps(summary), flush=True)
        with out.open("a") as output:
            output.write(json.dumps(summary) + "\n")
    say(f"Results: {out}")


def stop_on_sigterm(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt


def say(line: str) -> None:
    print(f"# {line}", file=sys.stderr, flush=True)
