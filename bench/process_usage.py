"""Where a server's CPU and memory go: each process of its tree, grouped by role.

bench_api.py samples the whole tree; this splits the same CPU by the supervisor's children
(api, worker state, worker ingest, clock, redis, ...) so a result says which piece was busy,
and which one held the most memory during a measurement.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from bench.servers import children_by_parent, descendants

#: Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat.
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class UsageSnapshot:
    """CPU seconds and memory (PSS, MB) per pid, and the role of each pid, at one moment."""

    taken: float
    seconds: dict[int, float]
    memory_mb: dict[int, float]
    roles: dict[int, str]


def role_of(cmdline: list[str]) -> str:
    """A short name for a Signalbox (or other server) process, from its command line."""
    text = " ".join(cmdline)
    if "server api" in text:
        return "api"
    if "--pool" in cmdline:
        pool = f"worker {cmdline[cmdline.index('--pool') + 1]}"
        return f"{pool} + clock" if "server clock" in text else pool  # as `server start` runs it
    if "server clock" in text:
        return "clock"
    if "redis-server" in text:
        return "redis"
    if "server start" in text:
        return "supervisor"
    name = os.path.basename(cmdline[0]) if cmdline else "?"
    return name or "?"


def read_cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as source:
            parts = [part.decode(errors="replace") for part in source.read().split(b"\0") if part]
    except OSError:
        return []
    # A process that set its title (`server start`'s forked children) has it as one string.
    return parts[0].split() if len(parts) == 1 else parts


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


def snapshot(root: int) -> UsageSnapshot:
    """CPU seconds of `root` and every process below it; a grandchild counts for its child."""
    children = children_by_parent()
    roles: dict[int, str] = {root: role_of(read_cmdline(root))}
    seconds: dict[int, float] = {}
    for child in children.get(root, []):
        role = role_of(read_cmdline(child))
        for pid in (child, *descendants(child, children)):
            roles[pid] = role
    memory: dict[int, float] = {}
    for pid in roles:
        if (used := cpu_seconds(pid)) is not None:
            seconds[pid] = used
        if (held := pss_mb(pid)) is not None:
            memory[pid] = held
    return UsageSnapshot(time.monotonic(), seconds, memory, roles)


def pss_mb(pid: int) -> float | None:
    """Proportional set size: shared pages split between the processes that share them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def cpu_percent_by_role(before: UsageSnapshot, after: UsageSnapshot) -> dict[str, float]:
    """Average CPU % of each role between two snapshots (100 = one core busy)."""
    elapsed = after.taken - before.taken
    if elapsed <= 0:
        return {}
    used: dict[str, float] = {}
    for pid, seconds in after.seconds.items():
        role = after.roles.get(pid) or before.roles.get(pid, "?")
        used[role] = used.get(role, 0.0) + seconds - before.seconds.get(pid, 0.0)
    return {
        role: round(seconds / elapsed * 100, 1)
        for role, seconds in sorted(used.items(), key=lambda item: -item[1])
        if seconds > 0
    }


def memory_mb_by_role(snapshot: UsageSnapshot) -> dict[str, float]:
    """Memory (PSS, MB) each role holds at the moment of `snapshot`."""
    held: dict[str, float] = {}
    for pid, megabytes in snapshot.memory_mb.items():
        role = snapshot.roles.get(pid, "?")
        held[role] = held.get(role, 0.0) + megabytes
    return held


class PeakMemory:
    """Samples the memory of each role once a second in a thread; keeps each role's peak.

    Used as a context manager around a measurement.
    """

    def __init__(self, root: int, interval_seconds: float = 1.0) -> None:
        self.root = root
        self.interval_seconds = interval_seconds
        self.peaks: dict[str, float] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while True:
            for role, megabytes in memory_mb_by_role(snapshot(self.root)).items():
                self.peaks[role] = max(self.peaks.get(role, 0.0), megabytes)
            if self.stopping.wait(self.interval_seconds):
                return

    def by_role(self) -> dict[str, float]:
        """Each role's peak (MB), largest first."""
        ranked = sorted(self.peaks.items(), key=lambda item: -item[1])
        return {role: round(megabytes) for role, megabytes in ranked}

    def __enter__(self) -> PeakMemory:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self.thread.join()
