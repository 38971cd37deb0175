"""The files a running server keeps in its home folder, and how the CLI finds its server.

`signalbox server start` writes them when it starts and removes them when it stops:
`server.pid` (the supervisor's pid, for `server status` and `server stop`), `redis.url` (the
Redis its processes use, with the embedded Redis's password: 0600) and `api.url`. The
`queue`, `notifications` and `worker` commands read `redis.url` when SIGNALBOX_REDIS_URL is
not set, so a second terminal talks to the server's Redis and never to another one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import click

from models.private_files import make_private_folder, write_private_file
from models.settings import Settings, mask_url_password

PID_FILE: Final = "server.pid"
#: Locked for as long as a server (or any process it started) runs from the home folder.
LOCK_FILE: Final = "server.lock"
REDIS_URL_FILE: Final = "redis.url"
API_URL_FILE: Final = "api.url"


@dataclass(frozen=True)
class ServerFiles:
    """What a server started from a home folder left there; `alive` if its pid still runs."""

    home: Path
    pid: int
    alive: bool
    redis_url: str | None
    api_url: str | None


def write_server_addresses(home: Path, *, redis_url: str, api_url: str) -> None:
    """Record where the server's Redis and API are (after `claim_pid_file`)."""
    write_private_file(home / REDIS_URL_FILE, f"{redis_url}\n")
    write_private_file(home / API_URL_FILE, f"{api_url}\n")


def lock_home_folder(home: Path) -> int:
    """Lock the home folder for this server; returns the lock's descriptor, to keep open.

    An flock (the kernel's, not a library's: it is released when the last process holding
    the descriptor exits, kill -9 included, so a crash never leaves a stale lock). The
    supervisor hands the descriptor to its children too: while any of them runs (a Redis
    left by a killed supervisor), no second server starts on the same files.
    """
    make_private_folder(home)
    descriptor = os.open(home / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        running = read_server_files(home)
        who = f" (pid {running.pid})" if running is not None and running.alive else ""
        raise click.ClickException(
            f"A Signalbox server{who} is already running from {home}; stop it first "
            "(signalbox server stop), or give this one another SIGNALBOX_HOME."
        ) from None
    return descriptor


def claim_pid_file(home: Path, pid: int) -> None:
    """Record `pid` as the home folder's server; raises ClickException if one already runs."""
    make_private_folder(home)
    try:  # O_EXCL: of two servers starting at once, one creates the file
        descriptor = os.open(home / PID_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        running = read_server_files(home)
        if running is not None and running.alive and running.pid != pid:
            raise click.ClickException(
                f"A Signalbox server (pid {running.pid}) is already running from {home}; "
                "stop it first (signalbox server stop)."
            ) from None
        write_private_file(home / PID_FILE, f"{pid}\n")  # left by a server that died
        return
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{pid}\n")


def remove_server_files(home: Path, pid: int) -> None:
    """Remove the files, unless another server (not `pid`) has written its own since."""
    recorded = read_server_files(home)
    if recorded is not None and recorded.pid != pid:
        return
    for name in (REDIS_URL_FILE, API_URL_FILE, PID_FILE):
        with contextlib.suppress(FileNotFoundError):
            (home / name).unlink()


def read_server_files(home: Path) -> ServerFiles | None:
    """What the server of this home folder recorded; None when no pid file is there."""
    try:
        pid = int((home / PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return ServerFiles(
        home=home,
        pid=pid,
        alive=process_exists(pid),
        redis_url=read_line(home / REDIS_URL_FILE),
        api_url=read_line(home / API_URL_FILE),
    )


def read_line(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def process_exists(pid: int) -> bool:
    """Whether `pid` runs (a zombie, exited and waiting for its parent to read its status,
    does not)."""
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def find_redis_url(settings: Settings) -> tuple[str, str]:
    """The Redis URL the CLI should use and where it came from.

    SIGNALBOX_REDIS_URL wins; otherwise the running server's `redis.url`. With neither,
    a ClickException: falling back to 127.0.0.1:6379 would read (or purge) another Redis.
    """
    if settings.redis_url:
        return settings.redis_url, "SIGNALBOX_REDIS_URL"
    recorded = read_server_files(settings.home)
    if recorded is not None and recorded.alive and recorded.redis_url:
        return recorded.redis_url, str(settings.home / REDIS_URL_FILE)
    if recorded is not None and not recorded.alive:
        problem = f"the server recorded in {settings.home / PID_FILE} (pid {recorded.pid}) is gone"
    elif recorded is not None:
        problem = f"the server (pid {recorded.pid}) has not started its Redis yet"
    else:
        problem = f"no server is running from {settings.home}"
    raise click.ClickException(
        f"Which Redis? SIGNALBOX_REDIS_URL is not set and {problem}. Start one "
        "(signalbox server start), point SIGNALBOX_HOME at its home folder, or set "
        "SIGNALBOX_REDIS_URL."
    )


def use_server_redis(settings: Settings) -> str:
    """Point this process (and its children) at the Redis `find_redis_url` chooses, and say
    which on stderr. Call before anything imports `actors`: the broker reads the URL then."""
    url, source = find_redis_url(settings)
    os.environ["SIGNALBOX_REDIS_URL"] = url
    click.echo(f"Redis: {mask_url_password(url)} (from {source})", err=True)
    return url
