"""The benchmark suite in one command: the ceiling probe, Signalbox (and Prefect), every scenario.

    python bench/run.py [--database-url URL] [--vs-prefect] [--api-processes 1]
        [--worker-processes 1] [--seconds 8] [--concurrency 1,16,64]
        [--scenarios transitions,logs,read,mixed,events]
        [--seed-runs 1000000] [--out bench/results/<stamp>.jsonl] [--write-docs]

Starts the ceiling probe (bench/ceiling_server.py) and `signalbox server start` with a fresh
home: SQLite there, or, given --database-url, a throwaway database created on that
PostgreSQL server and dropped at the end. With --vs-prefect it also starts the reference
Prefect 3.9.1 server from its own virtualenv. Then, for each scenario and concurrency, it
drives each server in turn (ceiling, Signalbox, Prefect) with bench/bench_api.py or
bench/bench_events.py, so that all of them see the same conditions of the machine. After a
`logs` measurement it polls POST /logs/filter until the last accepted record reads back;
bench_events.py does the same for task-run states. Before the first `read` it seeds
--seed-runs flow runs straight into Signalbox's database.

Results go to a JSONL file (one line per measurement, each with its fraction of the
ceiling) and to stdout as markdown; --write-docs puts the markdown into docs/performance.md.
Everything listens on 127.0.0.1; every measurement is bounded in time and requests; every
process started here is stopped at the end, on error and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NoReturn

# Run as `python bench/run.py`: the repository root holds bench/, tests/, models/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import process_usage, report
from bench.seed_flow_runs import seed_flow_runs
from bench.servers import (
    REPOSITORY,
    ceiling_probe,
    signalbox_database_url,
    signalbox_server,
    throwaway_postgres,
)
from models.settings import mask_url_password
from tests.compat.prefect_client import (
    PREFECT_VERSION,
    RunningServer,
    free_port,
    start_reference_prefect_server,
)

SCENARIOS: Final = ("transitions", "logs", "read", "mixed", "events")
#: Seconds a load generator may take beyond --seconds (start-up, seeding through the API).
SETUP_ALLOWANCE_SECONDS: Final = 600.0
#: Seconds each server is left idle after start-up before its memory at rest is read: past
#: the start-up work (migrations checked, pools connected, the clock's first ticks).
AT_REST_SECONDS: Final = 15.0
#: Seconds between two polls for the last log record.
POLL_SECONDS: Final = 0.05


class MeasurementFailed(RuntimeError):
    """A load generator exited with an error (its output is on stderr)."""


@dataclass
class Target:
    """One server under load, and what it has accepted so far."""

    name: str  # ceiling, signalbox, prefect
    server: RunningServer
    database: str  # memory, sqlite, postgresql
    db_pid: int | None = None
    #: Whether anything is stored behind the API (the ceiling probe keeps nothing readable).
    readable: bool = True
    logs_accepted: int = 0


def main() -> None:
    args = parse_arguments()
    if args.from_results:
        publish(*read_results(Path(args.from_results)), write_docs=args.write_docs)
        return
    signal.signal(signal.SIGTERM, stop_on_sigterm)  # stop everything as on Ctrl-C
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or REPOSITORY / "bench" / "results" / f"{stamp}.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "record": "run",
        "run": stamp,
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(),
        "revision": report.revision(),
        "machine": report.machine(),
        "load_before": report.load_average(),
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "scenarios": args.scenarios,
        "vs_prefect": args.vs_prefect,
        "api_processes": args.api_processes,
        "worker_processes": args.worker_processes,
        "seeded_runs": 0,
        "servers": ["ceiling", "signalbox"] + (["prefect"] if args.vs_prefect else []),
    }
    record(out, meta)
    # The servers stop (ExitStack) before their folder goes (TemporaryDirectory).
    with tempfile.TemporaryDirectory(prefix="signalbox-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        database_url, db_pid = None, None
        if args.database_url:
            throwaway = stack.enter_context(throwaway_postgres(args.database_url))
            database_url, db_pid = throwaway.url, throwaway.postmaster_pid
            meta["postgresql"] = throwaway.server_version
        say("Starting the ceiling probe and Signalbox...")
        targets = [
            Target("ceiling", stack.enter_context(ceiling_probe(workdir)), "memory", None, False),
            Target(
                "signalbox",
                stack.enter_context(
                    signalbox_server(
                        workdir, database_url, args.api_processes, args.worker_processes
                    )
                ),
                "postgresql" if database_url else "sqlite",
                db_pid,
            ),
        ]
        if args.vs_prefect:
            say(f"Starting the reference Prefect {PREFECT_VERSION} server...")
            prefect = stack.enter_context(start_reference_prefect_server(free_port()))
            targets.append(Target("prefect", prefect, "sqlite"))
        meta["at_rest_mb"] = memory_at_rest(targets)
        record(out, meta)
        for scenario, concurrency in rounds(args):
            if scenario in ("read", "mixed") and args.seed_runs and not meta["seeded_runs"]:
                url = signalbox_database_url(workdir, database_url)
                say(f"Seeding {args.seed_runs:,} flow runs into Signalbox's database...")
                meta["seed_seconds"] = seed_flow_runs(url, args.seed_runs)
                meta["seeded_runs"] = args.seed_runs
            for target in targets:
                say(f"{scenario} at {concurrency} clients against {target.name}...")
                labels = {"run": stamp, "target": target.name, "database": target.database,
                          "scenario": scenario, "clients": concurrency}  # fmt: skip
                try:
                    measured = measure(args, target, scenario, concurrency)
                except MeasurementFailed as failure:
                    # One server failing one measurement leaves the rest of the run worth having.
                    say(str(failure))
                    record(out, {"record": "failure", **labels, "error": str(failure)[-2000:]})
                    measured = []
                for result in measured:
                    record(out, result | {"record": "result", **labels,
                                          "scenario": result["scenario"]})  # fmt: skip
                time.sleep(args.pause)  # let queues drain before the next server's turn
        meta["load_after"] = report.load_average()
        record(out, meta)  # again, now complete: readers take the last run record
    say(f"Results: {out}")
    meta, results = read_results(out)
    publish(meta, results, write_docs=args.write_docs)


def memory_at_rest(targets: list[Target]) -> dict[str, dict[str, float]]:
    """Each server's memory (PSS, MB) by role, idle after start-up: before any load."""
    say(f"Leaving the servers idle {AT_REST_SECONDS:g} s to read their memory at rest...")
    time.sleep(AT_REST_SECONDS)  # idle on purpose: this is the state being measured
    at_rest = {}
    for target in targets:
        by_role = process_usage.memory_mb_by_role(process_usage.snapshot(target.server.pid))
        at_rest[target.name] = {role: round(mb, 1) for role, mb in by_role.items()}
    return at_rest


def record(out: Path, line: dict[str, Any]) -> None:
    """Append one record to the JSONL file at once, so a run cut short keeps what it measured."""
    with out.open("a") as output:
        output.write(json.dumps(line, separators=(",", ":")) + "\n")


def publish(meta: dict[str, Any], results: list[dict[str, Any]], *, write_docs: bool) -> None:
    """Print the markdown of a run and, if asked, put it into docs/performance.md."""
    block = report.render_results(meta, results)
    print(block)
    if write_docs:
        key = ("postgresql" if meta.get("postgresql") else "sqlite") + (
            "-vs-prefect" if meta["vs_prefect"] else ""
        )
        report.write_results(REPOSITORY / "docs" / "performance.md", key, block)
        say(f"Wrote the {key} results into docs/performance.md.")


def read_results(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run record and the results of a JSONL file this command wrote (its last run)."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    runs = [record for record in records if record.get("record") == "run"]
    if not runs:
        raise SystemExit(f"{path} holds no run record")
    meta = runs[-1]
    mine = [r for r in records if r.get("run") == meta["run"]]
    results = [r for r in mine if r.get("record") == "result"]
    meta["failures"] = [r for r in mine if r.get("record") == "failure"]
    add_ceiling_fractions(results)
    return meta, results


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="a PostgreSQL server: a throwaway database on it")
    parser.add_argument("--vs-prefect", action="store_true", help="also measure Prefect 3.9.1")
    parser.add_argument(
        "--api-processes", type=int, default=1, help="Signalbox API processes (one port)"
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=1,
        help="Signalbox processes for each of the state and ingest pools",
    )
    parser.add_argument("--seconds", type=float, default=10, help="per measurement")
    parser.add_argument("--concurrency", default="1,16,64", help="comma list of client counts")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma list")
    parser.add_argument("--seed-runs", type=int, default=1_000_000,
                        help="flow runs seeded into Signalbox before `read` (0: none)")  # fmt: skip
    parser.add_argument("--api-seed-runs", type=int, default=2_000,
                        help="runs bench_api.py makes through the API before `read`")  # fmt: skip
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="per measurement")
    parser.add_argument("--readable-timeout", type=float, default=120.0,
                        help="seconds to wait for accepted data to read back")  # fmt: skip
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between measurements")
    parser.add_argument("--out", help="JSONL results (default bench/results/<stamp>.jsonl)")
    parser.add_argument("--from-results", help="render a JSONL file of an earlier run instead")
    parser.add_argument("--write-docs", action="store_true",
                        help="put the results into docs/performance.md")  # fmt: skip
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for scenario in args.scenarios:
        if scenario not in SCENARIOS:
            parser.error(f"unknown scenario {scenario}; choose from {', '.join(SCENARIOS)}")
    return args


def command_line() -> str:
    """This command as typed, with any database password masked."""
    words = [mask_url_password(w) if "://" in w else w for w in sys.argv[1:]]
    return shlex.join(["python", "bench/run.py", *words])


def rounds(args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    for scenario in args.scenarios:
        for concurrency in args.concurrency:
            yield scenario, concurrency


def measure(
    args: argparse.Namespace, target: Target, scenario: str, concurrency: int
) -> list[dict[str, Any]]:
    """Run one load generator against one server; its RESULT lines, with readability added.

    Each result also gets the server's CPU by process (from the start of the load generator
    to its first RESULT line, so the wait for readability is not in it) and each process's
    peak memory.
    """
    command = load_command(args, target, scenario, concurrency)
    results: list[dict[str, Any]] = []
    before = process_usage.snapshot(target.server.pid)
    after = None
    # Its stderr goes to a file: progress lines, or why it failed.
    with (
        tempfile.TemporaryFile("w+") as errors,
        process_usage.PeakMemory(target.server.pid) as memory,
    ):
        process = subprocess.Popen(
            command, cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        # A hung load generator must not hold the run forever.
        watchdog = threading.Timer(args.seconds + SETUP_ALLOWANCE_SECONDS, process.kill)
        watchdog.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if not line.startswith("RESULT "):
                    continue
                after = after or process_usage.snapshot(target.server.pid)
                result = json.loads(line[len("RESULT ") :])
                if result["scenario"] in ("logs", "mixed:logs") and target.readable:
                    target.logs_accepted += result["counts"].get("log_records", 0)
                    result["readable"] = wait_until_logs_readable(
                        target.server.api_url, target.logs_accepted, args.readable_timeout
                    )
                results.append(result)
            process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        errors.seek(0)
        output = errors.read()
    sys.stderr.write(output)
    if process.returncode != 0:
        reason = (output.strip().splitlines() or ["no output"])[-1]
        raise MeasurementFailed(f"{shlex.join(command)} exited with {process.returncode}: {reason}")
    cpu = process_usage.cpu_percent_by_role(before, after) if after else {}
    for result in results:
        result |= {"cpu": cpu, "peak_memory_mb": memory.by_role()}
    return results


def load_command(
    args: argparse.Namespace, target: Target, scenario: str, concurrency: int
) -> list[str]:
    """The bench_api.py or bench_events.py command line for one measurement."""
    common = [
        "--base-url", target.server.api_url,
        "--concurrency", str(concurrency),
        "--seconds", str(args.seconds),
        "--server-pid", str(target.server.pid),
        "--label", f"{target.name}-{target.database}",
    ]  # fmt: skip
    if scenario == "events":
        command = [sys.executable, str(REPOSITORY / "bench" / "bench_events.py"), *common]
        command += ["--readable-timeout", str(args.readable_timeout)]
        return command + (["--check-readable"] if target.readable else [])
    command = [sys.executable, str(REPOSITORY / "bench" / "bench_api.py"), *common]
    command += [
        "--scenario", scenario,
        "--max-requests", str(args.max_requests),
        "--seed-runs", str(args.api_seed_runs),
        "--pause", "0",
    ]  # fmt: skip
    if target.db_pid:
        command += ["--db-pid", str(target.db_pid)]
    return command


def wait_until_logs_readable(api_url: str, accepted: int, timeout: float) -> dict[str, Any]:
    """Poll POST /logs/filter at offset accepted-1 until that record reads back."""
    started = time.monotonic()
    body = json.dumps({"offset": max(accepted - 1, 0), "limit": 1}).encode()
    while time.monotonic() - started < timeout:
        request = urllib.request.Request(
            f"{api_url}/logs/filter", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                found = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError) as error:  # HTTPError is a URLError
            say(f"POST /logs/filter failed ({error}); polling on.")
            found = None
        if found:
            return {"seconds": round(time.monotonic() - started, 3), "records": accepted,
                    "timed_out": False}  # fmt: skip
        time.sleep(POLL_SECONDS)
    return {"seconds": None, "records": accepted, "timed_out": True}


def add_ceiling_fractions(results: list[dict[str, Any]]) -> None:
    """Each figure beside the ceiling probe's for the same scenario and concurrency."""
    ceilings = {(r["scenario"], r["concurrency"]): r for r in results if r["target"] == "ceiling"}
    for result in results:
        ceiling = ceilings.get((result["scenario"], result["concurrency"]))
        if ceiling is None or result is ceiling:
            continue
        if ceiling["throughput"]:
            result["throughput_of_ceiling"] = round(result["throughput"] / ceiling["throughput"], 3)
        ours, theirs = result["latency"].get("p99_ms"), ceiling["latency"].get("p99_ms")
        if ours is not None and theirs:
            result["p99_times_ceiling"] = round(ours / theirs, 2)


def say(line: str) -> None:
    print(f"# {line}", file=sys.stderr, flush=True)


def stop_on_sigterm(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
