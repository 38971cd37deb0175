"""The supervisor of `server start`: children that die are restarted, each reported in one
line; a child that keeps failing at once makes it give up instead of restarting forever."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.supervisor import Child, Supervisor


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.fixture
def reported() -> list[str]:
    return []


@pytest.fixture
def watching(reported: list[str]) -> Iterator[list[Supervisor]]:
    """Supervisors the test starts, each watched on a thread and stopped at the end."""
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.stop_all()


def watch(supervisor: Supervisor) -> threading.Thread:
    supervisor.start_all()
    thread = threading.Thread(target=supervisor.watch, kwargs={"poll_seconds": 0.05})
    thread.start()
    return thread


def wait_for_line(reported: list[str], piece: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in reported if piece in line]
        if found:
            return found[0]
        time.sleep(0.05)  # polling the report, with a deadline
    raise AssertionError(f"no line with {piece!r} in {reported}")


def test_a_child_failing_at_once_again_and_again_makes_the_supervisor_give_up(
    reported: list[str], watching: list[Supervisor]
) -> None:
    failing = Child("worker broken", python("raise SystemExit(3)"))
    steady = Child("worker steady", python("import time; time.sleep(60)"))
    supervisor = Supervisor(
        [steady, failing], {}, report=reported.append, first_restart_delay=0.01, give_up_after=3
    )
    watching.append(supervisor)
    thread = watch(supervisor)
    thread.join(timeout=15)
    assert not thread.is_alive(), "the supervisor kept restarting a child that fails at once"
    assert supervisor.gave_up == failing
    [last] = reported[-1:]
    assert last == (
        "worker broken exited with code 3 within 10 s of its start 3 times in a row; "
        "giving up (its own lines above say why)."
    )
    assert failing.restarts == 2
    assert steady.process is not None and steady.process.poll() is None  # stopped by the caller


def test_a_child_that_dies_is_restarted_and_reported_in_one_line(
    reported: list[str], watching: list[Supervisor]
) -> None:
    sleeper = Child("redis", python("import time; time.sleep(60)"))
    supervisor = Supervisor([sleeper], {}, report=reported.append, first_restart_delay=0.01)
    watching.append(supervisor)
    watch(supervisor)
    assert sleeper.process is not None
    first = sleeper.process.pid
    sleeper.process.kill()
    line = wait_for_line(reported, "restarted")
    assert sleeper.process.pid != first
    assert line.startswith(f"redis (pid {first}) exited with code -9; restarted (pid ")
    assert len(reported) == 1
    assert supervisor.gave_up is None


def test_a_child_already_started_by_its_owner_is_watched_not_started_twice(
    reported: list[str], watching: list[Supervisor]
) -> None:
    import subprocess

    running = subprocess.Popen(python("import time; time.sleep(60)"), start_new_session=True)
    child = Child("redis", python("import time; time.sleep(60)"), process=running)
    supervisor = Supervisor([child], {}, report=reported.append)
    watching.append(supervisor)
    supervisor.start_all()
    assert child.process is running
    supervisor.stop_all()
    assert running.poll() is not None


def stops_slowly(ready: Path, on_stop: str) -> list[str]:
    """A child that says it is ready once its SIGTERM handler is set, and runs `on_stop`."""
    return python(
        "import pathlib, signal, sys, time\n"
        "def stop(*_):\n"
        f"    {on_stop}\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        f"pathlib.Path({str(ready)!r}).write_text('x')\n"
        "time.sleep(60)\n"
    )


def test_a_child_marked_to_stop_after_the_others_outlives_them(
    reported: list[str], tmp_path: Path
) -> None:
    done, seen = tmp_path / "worker-done", tmp_path / "broker-saw"
    worker = Child(
        "worker",
        stops_slowly(tmp_path / "worker-ready",
                     f"time.sleep(0.5); pathlib.Path({str(done)!r}).write_text('x')"),
    )  # fmt: skip
    broker = Child(
        "embedded Redis",
        stops_slowly(tmp_path / "broker-ready",
                     f"pathlib.Path({str(seen)!r}).write_text(str(pathlib.Path({str(done)!r})"
                     ".exists()))"),
        stop_after_others=True,
    )  # fmt: skip
    supervisor = Supervisor([broker, worker], {}, report=reported.append)
    supervisor.start_all()
    deadline = time.monotonic() + 15
    while not ((tmp_path / "worker-ready").exists() and (tmp_path / "broker-ready").exists()):
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.05)  # polling the children's start, with a deadline
    supervisor.stop_all()
    # The broker was asked to stop only after the worker had finished stopping.
    assert seen.read_text() == "True"
