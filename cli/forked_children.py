"""Children forked from a supervisor that has imported what they run, so they share its pages.

Each Python process of `server start` loads the same libraries (SQLAlchemy, pydantic,
aiohttp, Dramatiq, Signalbox's models and actors): about 75 MB apiece when each starts its
own interpreter. Forked from one parent that imported them, the children share those pages
until one writes to them. `gc.freeze()` before the first fork moves the parent's objects out
of the collector's reach: a child's collections would otherwise write to every object's
header and copy the shared pages one by one.

A forked child runs the same `signalbox` command line it would be started with, in-process:
the supervisor forks with the standard library's multiprocessing (which closes stdin, runs
the child's exit handlers and threads' shutdown, and reaps it); what `subprocess` adds for a
child (its own session, the environment, default signal handlers) is done here. Unlike a
started child, a forked one keeps every descriptor of the supervisor (the home folder's lock,
which every child holds anyway, and the API's listening socket, which a worker never reads):
closing them would also close files that the imported modules hold open (the metrics'
files), under objects the child goes on using.

The parent must fork before it starts any thread, and must not hold a connection, an event
loop or an open database: a child would inherit them half-used. The supervisor of `server
start` holds none (it starts its children with `subprocess` or this module, and only waits).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Final

#: What `server start`'s children import, imported once by the supervisor before it forks
#: them. The actors read SIGNALBOX_REDIS_URL and the metrics PROMETHEUS_MULTIPROC_DIR when
#: they are imported: `preload` takes the children's environment first.
PRELOADED: Final = (
    "api.app",
    "actors",
    "actors.clock",
    "cli.database",
    "cli.pool_worker",
    "cli.preflight",
    "cli.worker",
    "migrations.commands",
    "models.event_loops",
    "models.logging_setup",
)

_fork = multiprocessing.get_context("fork")


def preload(env: Mapping[str, str], modules: Sequence[str] = PRELOADED) -> None:
    """Take the children's environment, import what they run and build what each would build
    alike at its start, then keep the garbage collector off those objects."""
    import setproctitle

    # It finds the memory of the command line through the environment as the process
    # started with it: read before the environment changes.
    setproctitle.getproctitle()
    os.environ.update(env)
    for name in modules:
        importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    from models.blocks.prefect_catalog import prefect_catalog
    from models.settings import Settings

    # The database driver, which each child's first engine would import.
    driver = "psycopg" if Settings().database_url.startswith("postgresql") else "aiosqlite"
    importlib.import_module(driver)
    configure_mappers()  # each child's first query would otherwise configure them anew
    prefect_catalog()  # the block catalog the API registers at its start
    gc.collect()
    gc.freeze()


class ForkedProcess:
    """A forked `signalbox` command, watched the way the supervisor watches a `Popen`."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        self.args = list(command)
        # Output written by the parent and not yet flushed would be written again by the child.
        sys.stdout.flush()
        sys.stderr.flush()
        self.process = _fork.Process(target=run_command, args=(self.args, dict(env)), daemon=False)
        self.process.start()
        assert self.process.pid is not None
        self.pid: int = self.process.pid

    def poll(self) -> int | None:
        """The exit code once the child has exited (-N if signal N killed it), else None."""
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.process.exitcode) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            time.sleep(0.05)
        return code


def run_command(command: list[str], env: dict[str, str]) -> None:
    """In the forked child: become what `subprocess.Popen(command, env=env,
    start_new_session=True)` would have started, and run its command."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(env)
    import setproctitle

    # `ps`, `server status` and the benchmarks name a child by its command line.
    setproctitle.setproctitle(" ".join(command))
    arguments = command[command.index("cli") + 1 :] if "cli" in command else command[1:]
    sys.argv = ["signalbox", *arguments]
    from cli.main import signalbox

    # click ends with SystemExit: multiprocessing turns it into the exit code, after the
    # child's exit handlers and the shutdown of its threads, as a finished interpreter would.
    signalbox.main(args=arguments, prog_name="signalbox")
