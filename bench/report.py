"""The benchmark report: the machine, the targets of issue 4, the tables, docs/performance.md.

`render_results` turns one run's results into markdown; `write_results` puts it into
docs/performance.md between markers named after the configuration (sqlite, postgresql,
sqlite-vs-prefect, ...), leaving everything outside those markers as it was: other sections
of the file, and the hand-written text of the benchmark section.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench.servers import REPOSITORY

#: The benchmark section of docs/performance.md; text outside it belongs to other sections.
SECTION_BEGIN: Final = "<!-- benchmarks:begin -->"
SECTION_END: Final = "<!-- benchmarks:end -->"
#: Where a configuration seen for the first time gets its block.
NEXT_BLOCK: Final = "<!-- bench-results:next -->"
#: Pieces of the issue-4 targets.
TRANSITIONS_PER_S: Final = 2_000
LOG_RECORDS_PER_S: Final = 100_000
LOGS_READABLE_S: Final = 2.0
EVENTS_PER_S: Final = 20_000
READ_FRACTION: Final = 0.8
TRANSITIONS_P99_MS: Final = 20.0
RSS_FRACTION_OF_PREFECT: Final = 0.5

SERVERS: Final = ("ceiling", "signalbox", "prefect")
SCENARIO_ORDER: Final = (
    "transitions", "logs", "read", "mixed:transitions", "mixed:logs", "mixed:read", "events",
)  # fmt: skip


def block_markers(key: str) -> tuple[str, str]:
    return f"<!-- bench-results:{key}:begin -->", f"<!-- bench-results:{key}:end -->"


def machine() -> dict[str, Any]:
    """What the figures were measured on, read from /proc and the libraries in use."""
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(total_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def revision() -> str:
    """The commit measured, marked when the working tree differs from it (read-only git)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPOSITORY)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain") else "")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def render_results(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """One run as markdown: when, how, on what, the targets, then every figure."""
    m = meta["machine"]
    database = "PostgreSQL " + meta["postgresql"] if meta.get("postgresql") else "SQLite"
    versus = ", against Prefect 3.9.1 (its default SQLite)" if meta["vs_prefect"] else ""
    lines = [
        f"#### Signalbox on {database}{versus}: {meta['started']}",
        "",
        f"`{meta['command']}` (Signalbox {meta.get('revision', 'unknown')})",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}, Python {m['python']}, SQLite {m['sqlite']}"
        + (f", PostgreSQL {meta['postgresql']}" if meta.get("postgresql") else "")
        + f". Load average {meta['load_before']} before the run and "
        f"{meta.get('load_after', '?')} after: "
        "the load generator runs on the same machine as the servers. "
        f"{meta['seconds']:g} s per measurement, "
        f"{meta['seeded_runs']:,} flow runs seeded into Signalbox before `read`"
        + (f" ({meta['seed_seconds']:.0f} s)" if meta.get("seed_seconds") else "")
        + ". Servers measured in turn for each scenario and concurrency: "
        + ", ".join(server for server in SERVERS if server in meta["servers"])
        + ".",
        "",
        *render_targets(meta, results),
        "",
        *render_figures(results),
        "",
        *render_failures(meta.get("failures", [])),
        *render_cpu_by_process(results),
    ]
    return "\n".join(lines).rstrip() + "\n"


def by_key(results: Iterable[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Results keyed by (server, scenario, concurrency)."""
    return {(r["target"], r["scenario"], r["concurrency"]): r for r in results}


def fraction(value: float | None, ceiling: float | None) -> str:
    if value is None or not ceiling:
        return "-"
    return f"{value / ceiling:.0%}"


def figure(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


@dataclass(frozen=True)
class TargetRow:
    """One target of issue 4 as measured: Signalbox, the ceiling, their ratio, Prefect."""

    target: str
    signalbox: str
    ceiling: str
    share: str
    prefect: str
    met: bool | None


def render_targets(meta: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    """The targets of issue 4: what Signalbox measured, the ceiling, Prefect, met or not."""
    found = by_key(results)
    signalbox = [r for r in results if r["target"] == "signalbox"]
    rows = [
        *transitions_rows(found, max(meta["concurrency"])),
        *logs_rows(found, [r for r in signalbox if r["scenario"] == "logs"]),
        *events_rows(found, [r for r in signalbox if r["scenario"] == "events"]),
        *read_rows(found, [r for r in signalbox if r["scenario"] == "read"], meta["seeded_runs"]),
        *memory_rows(results),
    ]
    verdict = {True: "yes", False: "**no**", None: "-"}
    out = [
        "| target (issue 4) | Signalbox | ceiling | Signalbox / ceiling | Prefect | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        out.append(
            f"| {row.target} | {row.signalbox} | {row.ceiling} | {row.share} | {row.prefect} | "
            f"{verdict[row.met]} |"
        )
    return out


Found = dict[tuple[str, str, int], dict[str, Any]]


def throughput(result: dict[str, Any] | None) -> float | None:
    return None if result is None else result["throughput"]


def p99(result: dict[str, Any] | None) -> float | None:
    return None if result is None else result["latency"].get("p99_ms")


def transitions_rows(found: Found, clients: int) -> list[TargetRow]:
    ours = found.get(("signalbox", "transitions", clients))
    if ours is None:
        return []
    ceiling = found.get(("ceiling", "transitions", clients))
    prefect = found.get(("prefect", "transitions", clients))
    prefect_text = (
        "-" if prefect is None else (f"{prefect['throughput']:,.1f} ({prefect['errors']} errors)")
    )
    return [
        TargetRow(
            f"transitions/s at {clients} clients, 0 errors (>= {TRANSITIONS_PER_S:,})",
            f"{ours['throughput']:,.0f} ({ours['errors']} errors)",
            figure(throughput(ceiling)),
            fraction(ours["throughput"], throughput(ceiling)),
            prefect_text,
            ours["throughput"] >= TRANSITIONS_PER_S and ours["errors"] == 0,
        ),
        TargetRow(
            f"p99 of transitions at {clients} clients (< {TRANSITIONS_P99_MS:g} ms)",
            f"{figure(p99(ours), 1)} ms",
            f"{figure(p99(ceiling), 1)} ms",
            "-",
            "-" if prefect is None else f"{figure(p99(prefect))} ms",
            (p99(ours) or float("inf")) < TRANSITIONS_P99_MS,
        ),
    ]


def logs_rows(found: Found, logs: list[dict[str, Any]]) -> list[TargetRow]:
    if not logs:
        return []
    best = max(logs, key=lambda r: r["throughput"])
    ceiling = found.get(("ceiling", "logs", best["concurrency"]))
    prefect = found.get(("prefect", "logs", best["concurrency"]))
    waits = [(r.get("readable") or {}).get("seconds") for r in logs]
    slowest = None if None in waits else max(w for w in waits if w is not None)
    return [
        TargetRow(
            f"log records/s (>= {LOG_RECORDS_PER_S:,}), all readable within {LOGS_READABLE_S:g} s",
            f"{best['throughput']:,.0f} at {best['concurrency']} clients; the last record "
            f"readable after {figure(slowest, 2)} s at worst",
            figure(throughput(ceiling)),
            fraction(best["throughput"], throughput(ceiling)),
            figure(throughput(prefect)),
            best["throughput"] >= LOG_RECORDS_PER_S
            and slowest is not None
            and slowest <= LOGS_READABLE_S,
        )
    ]


def events_rows(found: Found, events: list[dict[str, Any]]) -> list[TargetRow]:
    if not events:
        return []
    best = max(events, key=lambda r: r["throughput"])
    ceiling = found.get(("ceiling", "events", best["concurrency"]))
    prefect = found.get(("prefect", "events", best["concurrency"]))
    persisted = all(
        (r.get("readable") or {}).get("timed_out") is False and r["unconfirmed_events"] == 0
        for r in events
    )
    waits = [(r.get("readable") or {}).get("seconds") for r in events]
    slowest = max((w for w in waits if w is not None), default=None)
    stored = (
        f"all readable after {figure(slowest, 1)} s at worst"
        if persisted
        else "NOT all persisted within the timeout"
    )
    return [
        TargetRow(
            f"task-run events/s over the websocket (>= {EVENTS_PER_S:,}), all persisted",
            f"{best['throughput']:,.0f} at {best['concurrency']} clients; {stored}",
            figure(throughput(ceiling)),
            fraction(best["throughput"], throughput(ceiling)),
            figure(throughput(prefect)),
            best["throughput"] >= EVENTS_PER_S and persisted,
        )
    ]


def read_rows(found: Found, reads: list[dict[str, Any]], seeded: int) -> list[TargetRow]:
    shares = []
    for ours in reads:
        ceiling = found.get(("ceiling", "read", ours["concurrency"]))
        if ceiling and ceiling["throughput"]:
            shares.append((ours["throughput"] / ceiling["throughput"], ours, ceiling))
    if not shares:
        return []
    share, worst, ceiling = min(shares, key=lambda item: item[0])
    prefect = found.get(("prefect", "read", worst["concurrency"]))
    return [
        TargetRow(
            f"flow_runs/filter of 200 rows with {seeded:,} runs seeded "
            f"(>= {READ_FRACTION:.0%} of the ceiling)",
            f"{worst['throughput']:,.1f}/s at {worst['concurrency']} clients (the lowest share)",
            f"{ceiling['throughput']:,.1f}/s",
            f"{share:.0%}",
            figure(throughput(prefect), 1),
            share >= READ_FRACTION,
        )
    ]


def memory_rows(results: list[dict[str, Any]]) -> list[TargetRow]:
    ceiling, ours, prefect = (peak_rss(results, server) for server in SERVERS)
    if ours is None:
        return []
    return [
        TargetRow(
            f"peak server memory (PSS) <= {RSS_FRACTION_OF_PREFECT:.0%} of Prefect's "
            "(the share column: Signalbox / Prefect)",
            f"{ours:,.0f} MB",
            f"{figure(ceiling)} MB",
            fraction(ours, prefect),
            "-" if prefect is None else f"{prefect:,.0f} MB",
            None if prefect is None else ours <= RSS_FRACTION_OF_PREFECT * prefect,
        )
    ]


def peak_rss(results: list[dict[str, Any]], server: str) -> float | None:
    peaks = [
        r["server"]["rss_mb_max"] for r in results if r["target"] == server and r.get("server")
    ]
    return max(peaks) if peaks else None


def render_figures(results: list[dict[str, Any]]) -> list[str]:
    """Every measurement: one row per scenario, concurrency and server."""
    out = [
        "| scenario | clients | server | throughput | unit | / ceiling | p50 ms | p95 ms | "
        "p99 ms | errors | readable after | server CPU % | CPU per unit | peak MB |",
        "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    found = by_key(results)
    for r in sorted(results, key=row_order):
        ceiling = found.get(("ceiling", r["scenario"], r["concurrency"]))
        share = "-" if r["target"] == "ceiling" else fraction(r["throughput"], throughput(ceiling))
        lat, srv = r["latency"], r.get("server") or {}
        readable = r.get("readable")
        if not readable:
            wait = "-"
        elif readable.get("timed_out"):
            wait = "timed out"
        else:
            wait = f"{readable['seconds']:.2f} s"
        errors = str(r["errors"]) + (f" ({first_error(r)})" if r["errors"] else "")
        out.append(
            f"| {r['scenario']} | {clients(r)} | {r['target']} | {r['throughput']:,.1f} | "
            f"{r['unit']} | {share} | {figure(lat.get('p50_ms'), 1)} | "
            f"{figure(lat.get('p95_ms'), 1)} | {figure(lat.get('p99_ms'), 1)} | {errors} | "
            f"{wait} | {figure(srv.get('cpu_pct_avg'))} | {cpu_per_unit(r)} | "
            f"{figure(srv.get('rss_mb_max'))} |"
        )
    out += [
        "",
        "Latency of `events` is ping to pong of each 700-event checkpoint. `readable after`: "
        "seconds from the end of the load until the last log record (`logs`) or every task "
        "run's final state and a sample of 20 state histories (`events`) read back through "
        "the API. Server CPU: 100 = one core. CPU per unit: server CPU time per transition, "
        "log record, read request or event (not for the parts of `mixed`, which share "
        "one server): on a machine shared with other work this varies far less than "
        "throughput does; it counts the measurement only, while Signalbox's workers go on "
        "storing a backlog of logs and events after it. Memory is the summed PSS of the "
        "server's "
        "process tree (Signalbox: supervisor, API, worker pools, clock, embedded Redis; "
        "PostgreSQL not included).",
    ]
    return out


def cpu_per_unit(result: dict[str, Any]) -> str:
    """Server CPU time per unit of throughput, in ms or µs."""
    cpu = (result.get("server") or {}).get("cpu_pct_avg")
    if cpu is None or not result["throughput"] or result["scenario"].startswith("mixed"):
        return "-"
    seconds = cpu / 100 / result["throughput"]
    return f"{seconds * 1e3:,.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:,.0f} µs"


def clients(result: dict[str, Any]) -> str:
    """The clients of a measurement; `mixed` splits them evenly between its three parts."""
    total = result.get("clients", result["concurrency"])
    if total == result["concurrency"]:
        return str(total)
    return f"{total} ({result['concurrency']} per part)"


def render_failures(failures: list[dict[str, Any]]) -> list[str]:
    """Measurements whose load generator failed: named, so a missing row is explained."""
    if not failures:
        return []
    out = ["Measurements that failed (the load generator exited with an error):", ""]
    for failure in failures:
        reason = failure["error"].strip().splitlines()[-1][:200]
        out.append(
            f"- {failure['scenario']} at {failure['clients']} clients against "
            f"{failure['target']}: {reason}"
        )
    return [*out, ""]


def first_error(result: dict[str, Any]) -> str:
    kinds = result.get("error_kinds") or {}
    text = next(iter(kinds), "")
    return re.sub(r"[|\n]", " ", text)[:60]


def row_order(result: dict[str, Any]) -> tuple[int, int, int]:
    scenario = result["scenario"]
    rank = SCENARIO_ORDER.index(scenario) if scenario in SCENARIO_ORDER else len(SCENARIO_ORDER)
    return rank, result["concurrency"], SERVERS.index(result["target"])


def render_cpu_by_process(results: list[dict[str, Any]]) -> list[str]:
    """Where Signalbox's CPU went in each measurement (average %, 100 = one core)."""
    rows = [
        r for r in sorted(results, key=row_order) if r["target"] == "signalbox" and r.get("cpu")
    ]
    if not rows:
        return []
    out = [
        "Signalbox by process: average CPU % (100 = one core) during the measurement, and "
        "the peak memory (PSS, MB) of each.",
        "",
        "| scenario | clients | CPU % by process | MB by process |",
        "|---|---:|---|---|",
    ]
    seen: set[tuple[str, int]] = set()
    for r in rows:
        key = (r["scenario"].split(":")[0], r.get("clients", r["concurrency"]))
        if key in seen:  # the parts of `mixed` share one measurement
            continue
        seen.add(key)
        shares = ", ".join(f"{role} {pct:g}" for role, pct in r["cpu"].items() if pct >= 1)
        held = r.get("peak_memory_mb") or {}
        memory = ", ".join(f"{role} {mb:g}" for role, mb in held.items() if mb >= 20)
        out.append(f"| {key[0]} | {key[1]} | {shares} | {memory or '-'} |")
    return out


def write_results(path: Path, key: str, block: str) -> None:
    """Replace (or add) the block of configuration `key` in the benchmark section of `path`."""
    text = path.read_text() if path.exists() else "# Performance\n"
    if SECTION_BEGIN not in text:
        text = text.rstrip("\n") + "\n\n" + empty_section() + "\n"
    begin, end = block_markers(key)
    fresh = f"{begin}\n{block.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + fresh + tail
    elif NEXT_BLOCK in text:
        text = text.replace(NEXT_BLOCK, f"{fresh}\n\n{NEXT_BLOCK}", 1)
    else:
        text = text.replace(SECTION_END, f"{fresh}\n\n{SECTION_END}", 1)
    path.write_text(text)


def empty_section() -> str:
    return "\n".join([
        SECTION_BEGIN,
        "## Benchmarks",
        "",
        "`python bench/run.py --help` lists the options.",
        "",
        "### Results",
        "",
        NEXT_BLOCK,
        "",
        SECTION_END,
    ])  # fmt: skip
