"""Running Signalbox's processes as children: start them, restart the ones that die, stop all.

`signalbox server start` uses it. Each child gets a process group of its own, so stopping it
also stops what it started (Dramatiq's worker processes), and none is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Seconds a child has to exit after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 15.0
#: A child that dies sooner than this after starting waits before its restart (crash loops).
QUICK_DEATH_SECONDS = 10.0
MAX_RESTART_DELAY_SECONDS = 30.0


@dataclass
class Child:
    """One supervised process: a name people read, and the command that runs it."""

    name: str
    command: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = field(default=None, repr=False)


class Supervisor:
    """Starts children in order, restarts the ones that die, stops them in reverse order."""

    def __init__(
        self,
        children: Sequence[Child],
        env: dict[str, str],
        report: Callable[[str], None],
    ) -> None:
        self.children = list(children)
        self.env = env
        self.report = report
        self.stopping = threading.Event()

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            list(child.command), env=self.env, start_new_session=True, stdin=subprocess.DEVNULL
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def start_all(self) -> None:
        for child in self.children:
            self.start(child)

    def watch(self, poll_seconds: float = 0.5) -> None:
        """Restart children that die, until `stopping` is set (by a signal or the caller)."""
        while not self.stopping.wait(poll_seconds):
            now = time.monotonic()
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is None:
                    continue
                if child.restart_at is None:
                    quick = now - child.started_at < QUICK_DEATH_SECONDS
                    delay = min(2.0**child.restarts, MAX_RESTART_DELAY_SECONDS) if quick else 0.0
                    child.restart_at = now + delay
                    self.report(
                        f"{child.name} (pid {child.process.pid}) exited with code {code}; "
                        f"restarting in {delay:.0f} s."
                    )
                if now >= child.restart_at:
                    child.restarts += 1
                    self.start(child)
                    self.report(
                        f"{child.name} restarted (pid {child.process.pid}, restart "
                        f"{child.restarts})."
                    )

    def stop_all(self) -> None:
        """SIGTERM every child's process group in reverse order of start; SIGKILL the slow."""
        self.stopping.set()
        for child in reversed(self.children):
            signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.report(f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it.")
            signal_group(child, signal.SIGKILL)  # whatever it left in its group
            child.process.wait()


def signal_group(child: Child, signum: signal.Signals) -> None:
    if child.process is None:
        return
    with contextlib.suppress(ProcessLookupError):  # already gone, with its whole group
        os.killpg(child.process.pid, signum)
