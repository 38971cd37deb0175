#!/usr/bin/env python3
"""Benchmark: the server time of the web UI's pages with a million flow runs in the database.

    python bench/bench_ui_pages.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--runs 1000000] [--seeded DIR] [--pages /,/runs,/runs/flow-run/{flow_run},...]
        [--requests 30] [--warmup 3] [--quiet-load 1.5] [--quiet-wait 600]
        [--profile-over-goal] [--out bench/results/ui-pages-<stamp>.jsonl]
    python bench/bench_ui_pages.py --from-results bench/results/ui-pages-<stamp>.jsonl

Starts `signalbox server start` in a fresh home (SQLite there, or a throwaway database of
--database-url), seeds --runs finished flow runs straight into its database
(bench/seed_flow_runs.py), then adds one flow run with task runs, logs and artifacts through
the REST API (bench/ui_detail_run.py) for the pages that show one run. With --seeded DIR the
seeded database is kept for later runs, which start on a copy of it: seconds instead of
minutes. On SQLite it is the file DIR/ui-pages-<runs>.db; on PostgreSQL (DIR unused) the
database `signalbox_seeded_ui_pages_<runs>` on that server, copied by `CREATE DATABASE …
TEMPLATE` into the throwaway one (`DROP DATABASE` it when done with it).

Then, once the machine's 1-minute load average is below --quiet-load (waiting at most
--quiet-wait seconds; the load is recorded either way), it requests each page of --pages
(`{flow_run}` and `{task_run}` stand for the detail run's ids; a page answering a redirect is
measured where it leads) --warmup times unmeasured and --requests times measured, one request
at a time, and reports per page the p50, p95, p99 and max of the server's own time (the
page's `Server-Timing: page;dur=…` header, api/ui/server_timing.py) and of the latency the
client saw, the response size, the API's CPU and the load average. One RESULT line of JSON per
page, appended to --out. With --profile-over-goal, a page whose p99 server time is over
--goal-ms (300 ms, the issue's goal) is requested again for PROFILE_SECONDS while
`py-spy record` samples the API process; the summary lands in bench/results/profiles/.
Everything listens on 127.0.0.1; every process started here is stopped at the end, on error
and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import psycopg
from sqlalchemy.engine import make_url

# Run as `python bench/bench_ui_pages.py`: the repository root holds bench/, models/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import process_usage
from bench.bench_work_pool_polling import keep_snapshot, percentiles
from bench.profile import SAMPLE_RATE, summarise
from bench.seed_flow_runs import seed_flow_runs
from bench.servers import REPOSITORY, libpq_url, require_loopback
from bench.targets import CpuWatch, StartedTarget, client_session, say, start_target
from bench.ui_detail_run import create_detail_run
from models.settings import mask_url_password

#: The issue's goal for every page, in ms of server time.
GOAL_MS: Final = 300.0
DEFAULT_PAGES: Final = (
    "/",
    "/runs",
    "/runs?state=FAILED",
    "/runs?page=200",
    "/runs?q=bench-ui-detail",
    "/runs/flow-run/{flow_run}",
    "/runs/task-run/{task_run}",
    "/flows",
    "/deployments",
    "/work-pools",
    "/concurrency-limits",
    "/artifacts",
    "/blocks",
    "/notifications",
)
SERVER_TIMING: Final = re.compile(r"page;dur=([0-9.]+)")
#: Seconds between two readings of the load average while waiting for a quiet machine.
LOAD_POLL_SECONDS: Final = 15.0
#: Seconds a page over the goal is requested again under py-spy.
PROFILE_SECONDS: Final = 15
PROFILES: Final = REPOSITORY / "bench" / "results" / "profiles"
PERCENTILES: Final = ("p50", "p95", "p99", "max")
#: The seeded rows are the same on every run.
SEED: Final = 7


async def measure_page(
    site: str, page: str, path: str, requests: int, warmup: int, goal_ms: float = GOAL_MS
) -> dict[str, Any]:
    """`path` requested warmup + requests times, one at a time; the measured part summed up."""
    server_ms: list[float] = []
    client_ms: list[float] = []
    sizes: list[int] = []
    statuses: Counter[int] = Counter()
    async with client_session(1) as http:
        redirected_from = None
        async with http.get(site + path, allow_redirects=False) as first:
            await first.read()
            if 300 <= first.status < 400 and "Location" in first.headers:
                redirected_from, path = path, first.headers["Location"]
            elif first.status >= 400:  # a page this revision does not have: nothing to time
                statuses[first.status] += 1
                requests = warmup = 0
        for number in range(warmup + requests):
            started = time.perf_counter()
            async with http.get(site + path, allow_redirects=False) as response:
                body = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if number < warmup:
                continue
            statuses[response.status] += 1
            if response.status != 200:
                continue
            client_ms.append(elapsed)
            sizes.append(len(body))
            timing = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
            if timing:
                server_ms.append(float(timing.group(1)))
    server = percentiles(sorted(server_ms))
    return {
        "page": page,
        "path": path,
        "redirected_from": redirected_from,
        "requests": requests,
        "statuses": {str(status): count for status, count in statuses.items()},
        "server_ms": server,
        "client_ms": percentiles(sorted(client_ms)),
        "bytes": int(statistics.median(sizes)) if sizes else None,
        "goal_ms": goal_ms,
        "within_goal": None if server["p99"] is None else server["p99"] < goal_ms,
    }


def page_path(page: str, placeholders: dict[str, str]) -> str:
    """The page with the detail run's ids in place of `{flow_run}` and `{task_run}`."""
    return page.format(**placeholders)


def wait_for_quiet_machine(limit: float, longest: float) -> float:
    """Wait until the 1-minute load average is below `limit`, at most `longest` seconds;
    the seconds waited."""
    began = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - began < longest:
        say(f"Load average {os.getloadavg()[0]:.2f} (waiting for < {limit:g})...")
        time.sleep(LOAD_POLL_SECONDS)  # the other work on the machine, not ours, must settle
    return round(time.monotonic() - began, 1)


def profile_page(started: StartedTarget, site: str, path: str, name: str) -> Path | None:
    """Request `path` for PROFILE_SECONDS while py-spy samples the API process; the summary."""
    roles = process_usage.snapshot(started.server.pid).roles
    api = next((pid for pid, role in roles.items() if role == "api"), None)
    if api is None:
        say("No API process found to profile.")
        return None
    PROFILES.mkdir(parents=True, exist_ok=True)
    raw = PROFILES / f"{name}.raw"
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "--pid", str(api), "--format", "raw", "--output", str(raw),
               "--duration", str(PROFILE_SECONDS), "--rate", str(SAMPLE_RATE),
               "--nonblocking"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.DEVNULL) as recorder:
        time.sleep(1)  # py-spy attaches before the requests begin

        async def request_until_done() -> None:
            async with client_session(1) as http:
                while recorder.poll() is None:
                    async with http.get(site + path) as response:
                        await response.read()

        asyncio.run(request_until_done())
    if not raw.exists():
        return None
    summary = raw.with_suffix(".txt")
    summary.write_text(summarise(raw))
    return summary


def measure(
    args: argparse.Namespace, workdir: Path, stack: ExitStack, stamp: str
) -> list[dict[str, Any]]:
    """Start, seed, add the detail run, wait for a quiet machine, measure every page."""
    snapshot, template, seed_seconds = None, None, None
    if args.seeded and args.database_url:
        template, seed_seconds = seeded_postgres_template(args.database_url, args.runs)
    elif args.seeded:
        snapshot = Path(args.seeded).resolve() / f"ui-pages-{args.runs}.db"
    reused = bool(snapshot and snapshot.exists()) or bool(template and seed_seconds is None)
    started = start_target(
        "signalbox",
        args.database_url,
        workdir,
        stack,
        database_copy=snapshot if reused else None,
        database_template=template,
    )
    if template is None and not reused and args.runs:
        assert started.database_url is not None
        say(f"Seeding {args.runs:,} flow runs...")
        seed_seconds = round(seed_flow_runs(started.database_url, args.runs, seed=SEED), 1)
        say(f"Seeded in {seed_seconds:.0f} s.")
        if snapshot is not None and started.database_file is not None:
            keep_snapshot(started.database_file, snapshot)
            say(f"Kept as {snapshot}.")
    detail = asyncio.run(
        create_detail_run(started.server.api_url, args.task_runs, args.logs, args.artifacts)
    )
    site = started.server.api_url.removesuffix("/api")
    waited = wait_for_quiet_machine(args.quiet_load, args.quiet_wait)
    common = {
        "benchmark": "ui_pages",
        "target": "signalbox",
        "database": started.database,
        "runs_in_database": args.runs + 1,
        "seeded_database_reused": reused,
        "seed_seconds": seed_seconds,
        "load_waited_seconds": waited,
        "revision": revision(),
        "machine": f"{os.cpu_count()} cores {platform.machine()}, {platform.platform(terse=True)}",
    }
    results = []
    for page in args.pages:
        path = page_path(page, detail.placeholders())
        cpu = CpuWatch("signalbox", started)
        say(f"{page}: {args.requests} requests...")
        result = asyncio.run(
            measure_page(site, page, path, args.requests, args.warmup, args.goal_ms)
        )
        result |= cpu.read().summary_fields() | common
        if args.profile_over_goal and result["within_goal"] is False:
            slug = re.sub(r"[^a-z0-9]+", "-", page.lower()).strip("-") or "root"
            name = f"{stamp}-ui-page-{started.database}-{slug}"
            summary = profile_page(started, site, result["path"], name)
            result["profile"] = None if summary is None else str(summary.relative_to(REPOSITORY))
        say(describe(result))
        results.append(result)
    return results


def seeded_postgres_template(server_url: str, runs: int) -> tuple[str, float | None]:
    """The database of `runs` seeded flow runs kept on the PostgreSQL server for later runs
    (each measures a throwaway copy of it), and the seconds it took to seed if made now.

    Seeded under a temporary name and renamed when complete, so an interrupted seeding is
    never taken for a finished one.
    """
    server = make_url(server_url)
    require_loopback(server.host)
    name = f"signalbox_seeded_ui_pages_{runs}"
    with psycopg.connect(libpq_url(server), autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if found.fetchone():
            say(f"On a copy of the database {name}.")
            return name, None
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_partial"')
        admin.execute(f'CREATE DATABASE "{name}_partial"')
    partial = server.set(drivername="postgresql+psycopg", database=f"{name}_partial")
    say(f"Seeding {runs:,} flow runs into the database {name}...")
    seconds = seed_flow_runs(partial.render_as_string(hide_password=False), runs, seed=SEED)
    with psycopg.connect(libpq_url(server), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    say(f"Seeded in {seconds:.0f} s; kept as the database {name}.")
    return name, round(seconds, 1)


def revision() -> str:
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPOSITORY, capture_output=True, text=True
    )
    return described.stdout.strip() or "unknown"


def describe(result: dict[str, Any]) -> str:
    server, client = result["server_ms"], result["client_ms"]
    return (f"{result['page']}: server p50 {server['p50']} p99 {server['p99']} ms, "
            f"client p50 {client['p50']} p99 {client['p99']} ms, {result['bytes']} bytes, "
            f"statuses {result['statuses']}")  # fmt: skip


def render_table(results: list[dict[str, Any]]) -> str:
    """The results as the Markdown table of docs/performance.md."""
    goal = results[0]["goal_ms"] if results else GOAL_MS
    lines = [
        "| page | database | server p50 / p95 / p99 / max ms | client p50 / p99 ms | KB | "
        f"p99 < {goal:g} ms |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        server, client = r["server_ms"], r["client_ms"]
        page = r["page"] + (f" (→ `{r['path']}`)" if r.get("redirected_from") else "")
        size = "-" if r["bytes"] is None else f"{r['bytes'] / 1024:,.0f}"
        answered = ", ".join(f"{count} x {status}" for status, count in r["statuses"].items())
        verdict = {True: "yes", False: "**no**", None: f"- ({answered})"}[r["within_goal"]]
        lines.append(
            f"| `{page}` | {r['database']} | {milliseconds(server)} | "
            f"{milliseconds(client, ('p50', 'p99'))} | {size} | {verdict} |"
        )
    return "\n".join(lines)


def milliseconds(figures: dict[str, float | None], keys: tuple[str, ...] = PERCENTILES) -> str:
    """`12.3 / 15.0 / …` for the percentiles named, `-` when nothing was measured."""
    if figures["p50"] is None:
        return "-"
    return " / ".join(f"{figures[key]:,.1f}" for key in keys)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="Signalbox on a throwaway database of this server")
    parser.add_argument("--runs", type=int, default=1_000_000, help="flow runs seeded")
    parser.add_argument(
        "--seeded", help="keep the seeded database (SQLite: in this folder) and reuse it"
    )
    parser.add_argument("--pages", default=",".join(DEFAULT_PAGES), help="comma list of paths")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per page")
    parser.add_argument("--task-runs", type=int, default=50, help="task runs of the detail run")
    parser.add_argument("--logs", type=int, default=500, help="log lines of the detail run")
    parser.add_argument("--artifacts", type=int, default=3, help="artifacts of the detail run")
    parser.add_argument("--quiet-load", type=float, default=1.5, help="load average to wait for")
    parser.add_argument("--quiet-wait", type=float, default=600, help="seconds to wait at most")
    parser.add_argument("--goal-ms", type=float, default=GOAL_MS, help="p99 server time goal")
    parser.add_argument("--profile-over-goal", action="store_true",
                        help="profile the API (py-spy) on each page over the goal")  # fmt: skip
    parser.add_argument(
        "--out", help="JSONL results (default bench/results/ui-pages-<stamp>.jsonl)"
    )
    parser.add_argument("--from-results", help="only print the table of this JSONL file")
    args = parser.parse_args()
    args.pages = [page.strip() for page in args.pages.split(",") if page.strip()]
    return args


def main() -> None:
    args = parse_args()
    if args.from_results:
        lines = Path(args.from_results).read_text().splitlines()
        print(render_table([json.loads(line) for line in lines if line.strip()]))
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or REPOSITORY / "bench" / "results" / f"ui-pages-{stamp}.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(mask_url_password(w) if "://" in w else w for w in sys.argv)
    with tempfile.TemporaryDirectory(prefix="sbx-ui-pages-") as tmp, ExitStack() as stack:
        results = measure(args, Path(tmp), stack, stamp)
    with out.open("a") as output:
        for result in results:
            result |= {"run": stamp, "command": command}
            print("RESULT " + json.dumps(result), flush=True)
            output.write(json.dumps(result) + "\n")
    print(render_table(results))
    say(f"Results: {out}")


if __name__ == "__main__":
    main()
