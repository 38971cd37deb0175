"""The unmodified Prefect 3.9.1 client, run from its own virtualenv against a Prefect API.

The client never runs inside the test process: it lives in a virtualenv of its own (built once,
then reused across runs) and each flow script runs there as a subprocess. The same virtualenv
runs the reference Prefect server, so the compat and benchmark suites can put Signalbox and
Prefect side by side.

Because `run_flow_script` blocks until the script ends, the API it talks to must live outside
the caller's event loop: in another process or thread.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

#: The one Prefect release Signalbox speaks to; the virtualenv holds exactly this version.
PREFECT_VERSION: Final = "3.9.1"

#: Written into the virtualenv once `pip install` has succeeded; its absence means "rebuild".
INSTALLED_MARKER: Final = ".signalbox-installed"

#: How a flow script announces its outcome: the last stdout line starting with this.
RESULT_PREFIX: Final = "RESULT "

#: Seconds `start_reference_prefect_server` waits for /api/health before giving up.
SERVER_START_TIMEOUT_SECONDS: Final = 120.0

#: Seconds a stopping server (or a timed-out script) gets between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS: Final = 15.0


class PrefectHarnessError(RuntimeError):
    """The Prefect client or reference server could not be set up or did not behave."""


@dataclass(frozen=True)
class CompletedRun:
    """One flow script that ran to its end: exit code, output, and its parsed RESULT line."""

    script: Path
    returncode: int
    stdout: str
    stderr: str
    duration_seconds: float
    result: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The script's output, to append to an assertion message."""
        return (
            f"{self.script.name} exited {self.returncode} after {self.duration_seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"
        )


@dataclass(frozen=True)
class RunningServer:
    """A Prefect-API server listening on 127.0.0.1, as yielded by the context managers here."""

    api_url: str
    log_path: Path
    pid: int


def prefect_venv() -> Path:
    """Where the Prefect virtualenv lives: $SIGNALBOX_PREFECT_VENV, or the user's cache."""
    configured = os.environ.get("SIGNALBOX_PREFECT_VENV")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "signalbox" / f"prefect-{PREFECT_VERSION}"


def prefect_python() -> Path:
    """The python of a virtualenv with exactly prefect==3.9.1, built on first use.

    Safe to call from several pytest processes at once: one builds under a file lock while
    the others wait for it, and all later calls find the marker and return at once.
    """
    venv = prefect_venv()
    python = venv / "bin" / "python"
    marker = venv / INSTALLED_MARKER
    wanted = f"prefect=={PREFECT_VERSION}\n"
    if _read(marker) == wanted:
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _read(marker) == wanted:  # another process finished while we waited
            return python
        _build_venv(venv, python)
        marker.write_text(wanted)
    return python


def _read(path: Path) -> str | None:
    """The text of a file, or None when it does not exist."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _build_venv(venv: Path, python: Path) -> None:
    """Create the virtualenv (anew, over any half-built one) and install Prefect into it."""
    # --clear: a build that died halfway leaves a venv without the marker; start over.
    _check_call([sys.executable, "-m", "venv", "--clear", str(venv)], "create the virtualenv")
    _check_call(
        [str(python), "-m", "pip", "install", "--quiet", f"prefect=={PREFECT_VERSION}"],
        f"install prefect=={PREFECT_VERSION}",
    )
    probe = "import prefect; print(prefect.__version__)"
    version = _check_call([str(python), "-c", probe], "import prefect").strip()
    if version != PREFECT_VERSION:
        raise PrefectHarnessError(f"The virtualenv at {venv} holds prefect {version}")


def _check_call(command: Sequence[str], what: str) -> str:
    """Run a setup command and return its stdout; raise with its output when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_environ())
    if done.returncode != 0:
        raise PrefectHarnessError(
            f"Could not {what} (exit {done.returncode}):\n{done.stdout[-4000:]}\n"
            f"{done.stderr[-4000:]}"
        )
    return done.stdout


def _clean_environ() -> dict[str, str]:
    """This process's environment without what would leak into the Prefect virtualenv.

    Drops every PREFECT_* setting (each run sets its own) and the variables that would make
    the venv's python import this process's packages.
    """
    leaks = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PREFECT_") and name not in leaks
    }


def client_environ(api_url: str, prefect_home: Path) -> dict[str, str]:
    """The environment a Prefect client process runs with, talking to `api_url`."""
    return {
        **_clean_environ(),
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",  # the client's own SDK analytics stay off (and offline)
        "PREFECT_LOGGING_LEVEL": "INFO",
        # A profile file from the user's home must not change what the client does.
        "PREFECT_PROFILES_PATH": str(prefect_home / "profiles.toml"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def run_flow_script(
    script: Path | str,
    api_url: str,
    *,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> CompletedRun:
    """Run one flow script with the Prefect client against `api_url` and parse its RESULT.

    The script gets a fresh PREFECT_HOME and runs in it. It must print a final line
    `RESULT {json}`; a script that prints none (it crashed) or outlives `timeout` raises
    PrefectHarnessError with its output.
    """
    script = Path(script).resolve()
    python = prefect_python()
    with tempfile.TemporaryDirectory(prefix="prefect-client-") as home:
        environ = {**client_environ(api_url, Path(home)), **(env or {})}
        started = time.monotonic()
        process = subprocess.Popen(
            [str(python), str(script), *args],
            cwd=home,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, so a timeout can end all of it
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(process)
            stdout, stderr = process.communicate()
            raise PrefectHarnessError(
                f"{script.name} did not finish within {timeout}s\n--- stdout ---\n"
                f"{stdout[-6000:]}\n--- stderr ---\n{stderr[-6000:]}"
            ) from None
    run = CompletedRun(
        script=script,
        returncode=process.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_seconds=time.monotonic() - started,
    )
    result = parse_result(stdout)
    if result is None:
        raise PrefectHarnessError(f"No RESULT line from the script.\n{run.describe()}")
    return replace(run, result=result)


@contextmanager
def started_script(
    script: Path | str, api_url: str, args: Sequence[str] = ()
) -> Iterator[subprocess.Popen[str]]:
    """A script running with the Prefect client against `api_url`, for as long as the block runs.

    For a client the test talks to while it runs (reading its stdout as it goes, killing it);
    the script gets a fresh PREFECT_HOME and its own process group, killed on exit.
    """
    with tempfile.TemporaryDirectory(prefix="prefect-client-") as home:
        process = subprocess.Popen(
            [str(prefect_python()), str(script), *args],
            cwd=home,
            env=client_environ(api_url, Path(home)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def parse_result(stdout: str) -> dict[str, Any] | None:
    """The JSON object on the last `RESULT ` line of a script's stdout, if any."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            parsed = json.loads(line[len(RESULT_PREFIX) :])
            if not isinstance(parsed, dict):
                raise PrefectHarnessError(f"RESULT is not a JSON object: {line}")
            return parsed
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def start_reference_prefect_server(
    port: int, settings: Mapping[str, str] | None = None
) -> Iterator[RunningServer]:
    """Run `prefect server start` on 127.0.0.1:`port` with a fresh SQLite home, until exit.

    `settings` are PREFECT_* variables for the server (its services' loop periods, say).
    Waits (polling GET /api/health against a deadline) until the server answers, and on exit
    stops its whole process group, so no process is left behind.
    """
    python = prefect_python()
    with tempfile.TemporaryDirectory(prefix="prefect-server-") as home:
        environ = {
            **client_environ(f"http://127.0.0.1:{port}/api", Path(home)),
            "PREFECT_UI_ENABLED": "false",  # nothing to serve; starts faster
            **(settings or {}),
        }
        log_path = Path(home) / "server.log"
        with open(log_path, "wb") as log:
            command = [str(python.parent / "prefect"), "server", "start"]
            process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(port)],
                cwd=home,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the server's children share its process group
            )
        try:
            _wait_until_healthy(f"http://127.0.0.1:{port}/api/health", process, log_path)
            yield RunningServer(f"http://127.0.0.1:{port}/api", log_path, process.pid)
        finally:
            stop_process_group(process)


def _wait_until_healthy(health_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll `health_url` until it answers 200; raise if the server dies or the deadline passes."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrefectHarnessError(
                f"The Prefect server exited with {process.returncode}:\n{_tail(log)}"
            )
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(0.2)  # polling interval, bounded by the deadline above
    raise PrefectHarnessError(
        f"The Prefect server did not answer {health_url} within "
        f"{SERVER_START_TIMEOUT_SECONDS}s:\n{_tail(log)}"
    )


def _tail(path: Path, chars: int = 6000) -> str:
    """The end of a log file, for error messages."""
    return path.read_text(errors="replace")[-chars:]


def stop_process_group(process: subprocess.Popen[Any]) -> None:
    """SIGTERM the process's group, SIGKILL it after a grace period, and reap the process.

    Returns once no process of the group is left (or only unreaped zombies are).
    """
    group = process.pid  # start_new_session=True: the leader's pid is the group id
    _signal_group(group, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(group, signal.SIGKILL)
        process.wait()
    # The leader is gone; children it left behind in the group still get killed. A zombie
    # keeps the group alive until its new parent reaps it, so this wait is bounded too.
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while _signal_group(group, signal.SIGKILL) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling interval while the kernel reaps the group


def _signal_group(group: int, signum: int) -> bool:
    """Send `signum` to a process group; False when no process of the group is left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True
