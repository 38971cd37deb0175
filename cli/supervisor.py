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

from cli.forked_children import ForkedProcess

#: Seconds a child has to exit after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 15.0
#: A child that dies sooner than this after starting waits before its restart (crash loops).
QUICK_DEATH_SECONDS = 10.0
#: The wait before the restart of a child after its first quick death; doubled at each one.
FIRST_RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0
#: Quick deaths in a row after which a child is taken to be broken (a bad setting, a port in
#: use, a database it cannot read): restarting it forever would only fill the log.
GIVE_UP_AFTER_QUICK_DEATHS = 5


@dataclass
class Child:
    """One supervised process: a name people read, and the command that runs it.

    A child whose `process` is given was started by its owner (the embedded Redis, which
    must answer before the others start): the supervisor only watches it, and restarts it
    with `command`.
    """

    name: str
    command: Sequence[str]
    process: subprocess.Popen[bytes] | ForkedProcess | None = None
    #: Descriptors the child inherits (the API's listening socket); a forked child inherits
    #: all of the supervisor's.
    pass_fds: tuple[int, ...] = ()
    #: Forked from the supervisor (a `signalbox` command sharing its imports) instead of
    #: started as a new program (`cli/forked_children.py`).
    forked: bool = False
    #: Stopped only once every other child has exited (the broker they hand messages to).
    stop_after_others: bool = False
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    quick_deaths: int = 0
    restart_at: float | None = field(default=None, repr=False)


class Supervisor:
    """Starts children in order, restarts the ones that die, stops them in reverse order."""

    def __init__(
        self,
        children: Sequence[Child],
        env: dict[str, str],
        report: Callable[[str], None],
        *,
        first_restart_delay: float = FIRST_RESTART_DELAY_SECONDS,
        give_up_after: int = GIVE_UP_AFTER_QUICK_DEATHS,
    ) -> None:
        self.children = list(children)
        self.env = env
        self.report = report
        self.first_restart_delay = first_restart_delay
        self.give_up_after = give_up_after
        self.stopping = threading.Event()
        #: The child that kept dying at once, when the supervisor gave up because of it.
        self.gave_up: Child | None = None

    def start(self, child: Child) -> None:
        if child.forked:
            child.process = ForkedProcess(child.command, self.env)
        else:
            child.process = subprocess.Popen(
                list(child.command),
                env=self.env,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                pass_fds=child.pass_fds,
            )
        child.started_at = time.monotonic()
        child.restart_at = None

    def start_all(self) -> None:
        for child in self.children:
            if child.process is None:
                self.start(child)

    def watch(self, poll_seconds: float = 0.5) -> None:
        """Restart children that die, until `stopping` is set (by a signal or the caller), or
        until a child has died at once `give_up_after` times in a row (`gave_up` says which)."""
        while not self.stopping.wait(poll_seconds):
            now = time.monotonic()
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is None:
                    continue
                if child.restart_at is None and not self.plan_restart(child, code, now):
                    return
                assert child.restart_at is not None
                if now >= child.restart_at:
                    died = child.process.pid
                    child.restarts += 1
                    self.start(child)
                    self.report(
                        f"{child.name} (pid {died}) exited with code {code}; restarted "
                        f"(pid {child.process.pid}, restart {child.restarts})."
                    )

    def plan_restart(self, child: Child, code: int, now: float) -> bool:
        """Set when `child` restarts, or give up on it (and return False)."""
        quick = now - child.started_at < QUICK_DEATH_SECONDS
        child.quick_deaths = child.quick_deaths + 1 if quick else 0
        if child.quick_deaths >= self.give_up_after:
            self.gave_up = child
            self.report(
                f"{child.name} exited with code {code} within {QUICK_DEATH_SECONDS:.0f} s of "
                f"its start {child.quick_deaths} times in a row; giving up (its own lines "
                "above say why)."
            )
            return False
        delay = 0.0
        if quick:
            delay = min(
                self.first_restart_delay * 2.0 ** (child.quick_deaths - 1),
                MAX_RESTART_DELAY_SECONDS,
            )
        child.restart_at = now + delay
        if delay >= 1.0:  # said now: the restart's own line comes only after the wait
            assert child.process is not None
            self.report(
                f"{child.name} (pid {child.process.pid}) exited with code {code} soon after "
                f"its start; restarting it in {delay:.0f} s."
            )
        return True

    def stop_all(self) -> None:
        """SIGTERM every child's process group in reverse order of start; SIGKILL the slow.

        Children marked `stop_after_others` (the embedded Redis) are stopped once the others
        have exited: a worker process stopping hands its unfinished messages back to Redis.
        """
        self.stopping.set()
        self.stop([child for child in self.children if not child.stop_after_others])
        self.stop([child for child in self.children if child.stop_after_others])

    def stop(self, children: list[Child]) -> None:
        for child in reversed(children):
            signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in reversed(children):
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
