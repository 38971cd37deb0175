"""The benchmark report: the machine, the targets, the tables, docs/performance.md.

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
#: The targets of performance round two, each a share of the ceiling probe in the same run
#: (machines differ: the ceiling's own rate moved 3.5x between machines of one kind).
TRANSITIONS_SHARE: Final = {"sqlite": 0.6, "postgresql": 0.4}
MIXED_SHARE: Final = 0.5
MIXED_P99_TIMES_CEILING: Final = 2.0
LOGS_SHARE: Final = 0.6
READABLE_S: Final = 2.0
EVENTS_SHARE: Final = 0.5
READ_SHARE: Final = 0.8
AT_REST_MB: Final = 200.0
MIXED_PARTS: Final = ("transitions", "logs", "read")

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
    """One target as measured: Signalbox, the ceiling, their ratio, Prefect, met or not."""

    target: str
    signalbox: str
    ceiling: str
    share: str
    prefect: str
    met: bool | None


def render_targets(meta: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    """The targets at the run's highest concurrency: Signalbox, the ceiling, Prefect, met or not."""
    found = by_key(results)
    clients = max(meta["concurrency"])
    database = "postgresql" if meta.get("postgresql") else "sqlite"
    rows = [
        *transitions_rows(found, clients, TRANSITIONS_SHARE[database]),
        *mixed_rows(results, clients),
        *logs_rows(found, clients),
        *events_rows(found, clients, meta["seconds"]),
        *read_rows(found, clients, meta["seeded_runs"]),
        *memory_rows(meta, results),
    ]
    verdict = {True: "yes", False: "**no**", None: "-"}
    out = [
        "| target | Signalbox | ceiling | Signalbox / ceiling | Prefect | met |",
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


def share_of(ours: float | None, ceiling: float | None) -> float | None:
    return None if ours is None or not ceiling else ours / ceiling


def transitions_rows(found: Found, clients: int, goal: float) -> list[TargetRow]:
    ours = found.get(("signalbox", "transitions", clients))
    if ours is None:
        return []
    ceiling = found.get(("ceiling", "transitions", clients))
    prefect = found.get(("prefect", "transitions", clients))
    share = share_of(ours["throughput"], throughput(ceiling))
    return [
        TargetRow(
            f"transitions/s at {clients} clients, 0 errors (>= {goal:.0%} of the ceiling)",
            f"{ours['throughput']:,.0f} ({ours['errors']} errors), p99 {figure(p99(ours))} ms",
            f"{figure(throughput(ceiling))}, p99 {figure(p99(ceiling), 1)} ms",
            fraction(ours["throughput"], throughput(ceiling)),
            "-"
            if prefect is None
            else f"{prefect['throughput']:,.1f} ({prefect['errors']} errors)",
            share is not None and share >= goal and ours["errors"] == 0,
        )
    ]


def mixed_rows(results: list[dict[str, Any]], clients: int) -> list[TargetRow]:
    """Each part of the mix against the ceiling's same part; the transitions' p99 too."""

    def part(server: str, name: str) -> dict[str, Any] | None:
        return next(
            (
                r
                for r in results
                if r["target"] == server
                and r["scenario"] == f"mixed:{name}"
                and r.get("clients") == clients
            ),
            None,
        )

    rows = []
    for name in MIXED_PARTS:
        ceiling, ours, prefect = (part(server, name) for server in SERVERS)
        if ours is None:
            continue
        share = share_of(ours["throughput"], throughput(ceiling))
        rows.append(
            TargetRow(
                f"mixed load at {clients} clients: {name} (>= {MIXED_SHARE:.0%} of the ceiling's "
                "under the same mix)",
                f"{ours['throughput']:,.1f} {ours['unit']}",
                figure(throughput(ceiling), 1),
                fraction(ours["throughput"], throughput(ceiling)),
                figure(throughput(prefect), 1),
                share is not None and share >= MIXED_SHARE and ours["errors"] == 0,
            )
        )
        if name == "transitions":
            ratio = share_of(p99(ours), p99(ceiling))
            rows.append(
                TargetRow(
                    f"mixed load at {clients} clients: p99 of transitions "
                    f"(<= {MIXED_P99_TIMES_CEILING:g}x the ceiling's)",
                    f"{figure(p99(ours))} ms",
                    f"{figure(p99(ceiling))} ms",
                    "-" if ratio is None else f"{ratio:.1f}x",
                    "-" if prefect is None else f"{figure(p99(prefect))} ms",
                    ratio is not None and ratio <= MIXED_P99_TIMES_CEILING,
                )
            )
    return rows


def readable_seconds(result: dict[str, Any]) -> float | None:
    readable = result.get("readable") or {}
    return None if readable.get("timed_out", True) else readable.get("seconds")


def logs_rows(found: Found, clients: int) -> list[TargetRow]:
    ours = found.get(("signalbox", "logs", clients))
    if ours is None:
        return []
    ceiling = found.get(("ceiling", "logs", clients))
    prefect = found.get(("prefect", "logs", clients))
    share = share_of(ours["throughput"], throughput(ceiling))
    wait = readable_seconds(ours)
    return [
        TargetRow(
            f"log records/s at {clients} clients (>= {LOGS_SHARE:.0%} of the ceiling), "
            f"the last readable within {READABLE_S:g} s",
            f"{ours['throughput']:,.0f}; the last readable after {figure(wait, 2)} s",
            figure(throughput(ceiling)),
            fraction(ours["throughput"], throughput(ceiling)),
            figure(throughput(prefect)),
            share is not None and share >= LOGS_SHARE and wait is not None and wait <= READABLE_S,
        )
    ]


def persisted_rate(result: dict[str, Any], seconds: float) -> float | None:
    """Events stored per second: those accepted, over the load and the wait until all read back."""
    wait = readable_seconds(result)
    if wait is None or result.get("unconfirmed_events"):
        return None
    return result["throughput"] * seconds / (seconds + wait)


def events_rows(found: Found, clients: int, seconds: float) -> list[TargetRow]:
    ours = found.get(("signalbox", "events", clients))
    if ours is None:
        return []
    ceiling = found.get(("ceiling", "events", clients))
    prefect = found.get(("prefect", "events", clients))
    stored = persisted_rate(ours, seconds)
    share = share_of(stored, throughput(ceiling))
    wait = readable_seconds(ours)
    return [
        TargetRow(
            f"task-run events/s at {clients} clients persisted (>= {EVENTS_SHARE:.0%} of the "
            f"ceiling), all readable within {READABLE_S:g} s",
            f"{ours['throughput']:,.0f} accepted, {figure(stored)} persisted; all readable "
            f"after {figure(wait, 1)} s",
            figure(throughput(ceiling)),
            fraction(stored, throughput(ceiling)),
            f"{figure(throughput(prefect))} accepted"
            + (
                ""
                if prefect is None or readable_seconds(prefect) is not None
                else ", not all read back"
            ),
            share is not None and share >= EVENTS_SHARE and wait is not None and wait <= READABLE_S,
        )
    ]


def read_rows(found: Found, clients: int, seeded: int) -> list[TargetRow]:
    ours = found.get(("signalbox", "read", clients))
    if ours is None:
        return []
    ceiling = found.get(("ceiling", "read", clients))
    prefect = found.get(("prefect", "read", clients))
    share = share_of(ours["throughput"], throughput(ceiling))
    return [
        TargetRow(
            f"flow_runs/filter of 200 rows at {clients} clients with {seeded:,} runs seeded "
            f"(>= {READ_SHARE:.0%} of the ceiling)",
            f"{ours['throughput']:,.1f}/s",
            f"{figure(throughput(ceiling), 1)}/s",
            fraction(ours["throughput"], throughput(ceiling)),
            figure(throughput(prefect), 1),
            share is not None and share >= READ_SHARE,
        )
    ]


def memory_rows(meta: dict[str, Any], results: list[dict[str, Any]]) -> list[TargetRow]:
    """Memory at rest (idle after start-up) and the peak under the run's load, as PSS."""
    at_rest = {
        server: sum(roles.values()) for server, roles in (meta.get("at_rest_mb") or {}).items()
    }
    rows = []
    if "signalbox" in at_rest:
        ours, prefect = at_rest["signalbox"], at_rest.get("prefect")
        rows.append(
            TargetRow(
                f"memory at rest, the whole tree with Redis (<= {AT_REST_MB:,.0f} MB PSS)",
                f"{ours:,.0f} MB",
                f"{figure(at_rest.get('ceiling'))} MB",
                "-",
                "-" if prefect is None else f"{prefect:,.0f} MB",
                ours <= AT_REST_MB,
            )
        )
    ceiling, ours_peak, prefect_peak = (peak_rss(results, server) for server in SERVERS)
    if ours_peak is not None:
        rows.append(
            TargetRow(
                "peak memory under the same load (PSS) <= Prefect's",
                f"{ours_peak:,.0f} MB",
                f"{figure(ceiling)} MB",
                "-",
                "-" if prefect_peak is None else f"{prefect_peak:,.0f} MB",
                None if prefect_peak is None else ours_peak <= prefect_peak,
            )
        )
    return rows


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
