"""Profiling one scenario: py-spy records every Python process of Signalbox while it runs.

    python bench/profile.py --scenario transitions --concurrency 64 [--seconds 10]
        [--database-url URL] [--seed-runs N] [--out-dir bench/results/profiles]

Starts Signalbox as bench/run.py does (no ceiling probe: py-spy's own CPU would make any
comparison unfair), runs the scenario once, and meanwhile samples the API, each worker pool
and the clock with `py-spy record -f raw` (active threads only, so it shows where CPU goes,
not where threads wait). Each process gets a raw file and a summary: the functions with the
most samples on top of the stack (self) and anywhere in it (inclusive). With --idle,
waiting threads are sampled too (wall-clock time), and the summary shows where each thread
spends its time: the way to find what a server that is not using its CPU is waiting for.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

# Run as `python bench/profile.py`: the repository root holds bench/, tests/, models/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import process_usage
from bench.run import Target, measure, say
from bench.seed_flow_runs import seed_flow_runs
from bench.servers import (
    REPOSITORY,
    children_by_parent,
    descendants,
    signalbox_database_url,
    signalbox_server,
    throwaway_postgres,
)

#: Samples per second py-spy takes (its default).
SAMPLE_RATE: Final = 100
#: Functions listed per ranking in a summary.
TOP_FUNCTIONS: Final = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="transitions")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database-url", help="a PostgreSQL server: a throwaway database on it")
    parser.add_argument("--seed-runs", type=int, default=0, help="seed before a `read` profile")
    parser.add_argument("--idle", action="store_true", help="sample waiting threads too")
    parser.add_argument("--native", action="store_true", help="C frames too (SQLite, syscalls)")
    parser.add_argument(
        "--gil",
        action="store_true",
        help="only the thread holding the GIL: what a process saturated at one core waits on",
    )
    parser.add_argument("--out-dir", default=str(REPOSITORY / "bench" / "results" / "profiles"))
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The rest of what bench/run.py's load_command reads from its arguments.
    args.readable_timeout, args.max_requests, args.api_seed_runs = 120.0, 2_000_000, 2_000
    with tempfile.TemporaryDirectory(prefix="signalbox-profile-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        database_url = None
        if args.database_url:
            database_url = stack.enter_context(throwaway_postgres(args.database_url)).url
        server = stack.enter_context(signalbox_server(workdir, database_url))
        if args.seed_runs:
            seed_flow_runs(signalbox_database_url(workdir, database_url), args.seed_runs)
        target = Target("signalbox", server, "postgresql" if database_url else "sqlite")
        database = target.database
        recorders = start_recorders(server.pid, args.seconds, out_dir, stamp, args, database)
        try:
            results = measure(args, target, args.scenario, args.concurrency)
        finally:
            for _, process in recorders:
                process.wait(timeout=args.seconds + 60)
    for result in results:
        say(f"{result['scenario']}: {result['throughput']:,.1f} {result['unit']} under py-spy")
    for raw, _ in recorders:
        if raw.exists():
            summary = raw.with_suffix(".txt")
            summary.write_text(summarise(raw))
            say(f"Profile: {summary}")


def start_recorders(
    root: int,
    seconds: float,
    out_dir: Path,
    stamp: str,
    args: argparse.Namespace,
    database: str,
) -> list[tuple[Path, subprocess.Popen[bytes]]]:
    """A py-spy per Python process of the server, each for the length of the measurement."""
    children = children_by_parent()
    recorders = []
    for pid in [root, *descendants(root, children)]:
        role = process_usage.role_of(process_usage.read_cmdline(pid))
        if role in ("redis", "supervisor") or role.startswith("worker notify"):
            continue
        mode = ("wall" if args.idle else "gil" if args.gil else "cpu") + (
            "-native" if args.native else ""
        )
        name = f"{stamp}-{args.scenario}-c{args.concurrency}-{database}-{mode}-{role}"
        raw = out_dir / f"{name.replace(' ', '-')}.raw"
        command = [
            # py-spy sits beside this interpreter when its virtualenv is not activated.
            shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
            "record", "--pid", str(pid), "--format", "raw", "--output", str(raw),
            "--duration", str(int(seconds) + 2), "--rate", str(SAMPLE_RATE),
        ]  # fmt: skip
        # Without pausing the process py-spy disturbs it least, but C frames need the pause.
        command += [] if args.native else ["--nonblocking"]
        if args.idle:
            command += ["--idle", "--threads"]
        if args.native:
            command += ["--native"]
        if args.gil:
            command += ["--gil"]
        recorders.append((raw, subprocess.Popen(command, stdout=subprocess.DEVNULL)))
    time.sleep(1)  # py-spy attaches before the load begins
    return recorders


def summarise(raw: Path, top: int = TOP_FUNCTIONS) -> str:
    """The functions with the most samples, self and inclusive, from a py-spy raw file.

    A file recorded with --threads also gets, per thread (numbered threads of one kind taken
    together), its samples and the functions it spends them in.
    """
    self_samples: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    thread_self: dict[str, Counter[str]] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        thread = None
        if frames[0].startswith("thread ("):
            # `thread (1234): asyncio_3`; numbered pool threads of one kind count as one.
            thread = re.sub(r"\d+", "N", frames.pop(0).split(": ", 1)[-1])
        functions = [function_of(frame) for frame in frames]
        leaf = functions[-1] if functions else "(no Python frame)"
        self_samples[leaf] += count
        for function in set(functions):
            inclusive[function] += count
        if thread is not None:
            threads[thread] += count
            thread_self.setdefault(thread, Counter())[leaf] += count
    if not total:
        return f"{raw.name}: no samples (the process was idle)\n"
    lines = [f"{raw.name}: {total} samples at {SAMPLE_RATE}/s", ""]
    for title, counter in (("self", self_samples), ("inclusive", inclusive)):
        lines.append(f"top {top} by {title} samples:")
        for function, count in counter.most_common(top):
            lines.append(f"  {count / total:6.1%}  {function}")
        lines.append("")
    for thread, count in threads.most_common():
        lines.append(f"thread {thread}: {count} samples; where it spends them:")
        for function, spent in thread_self[thread].most_common(12):
            lines.append(f"  {spent / count:6.1%}  {function}")
        lines.append("")
    return "\n".join(lines)


def function_of(frame: str) -> str:
    """`name (path/module.py:123)` without the line number and with a short path."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "python3.11/", str(REPOSITORY) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


if __name__ == "__main__":
    main()
