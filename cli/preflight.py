"""What a Signalbox process checks before it starts, so that a fault is one line, not a crash loop.

`server start`, `server api`, `server clock` and `worker` run these first: Redis answers, the
home folder is writable, the API's port is free, and the database was not migrated by a newer
Signalbox. Each failure is a ClickException (one line, exit 1): a process restarted by its
supervisor or by docker-compose would otherwise repeat a 40-line traceback forever.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import tempfile
from pathlib import Path

import click

from models.settings import Settings, mask_url_password

#: Seconds Redis has to answer PING at start.
REDIS_TIMEOUT_SECONDS = 5.0
#: Connections the kernel queues on the API's socket before aiohttp accepts them (its own
#: default backlog).
LISTEN_BACKLOG = 128


def check_redis(url: str) -> None:
    """Redis answers PING at `url`, or one line that says where and why not."""
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except redis.RedisError as failure:
        reason = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
        raise click.ClickException(
            f"Redis at {mask_url_password(url)} does not answer "
            f"({type(failure).__name__}: {reason}); start it or correct SIGNALBOX_REDIS_URL."
        ) from None
    finally:
        client.close()


def check_home_writable(home: Path) -> None:
    """The home folder exists (or can be made) and this user can write in it."""
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as failure:
        raise click.ClickException(
            f"The home folder {home} is not writable ({failure.strerror or failure}); "
            "set SIGNALBOX_HOME to a folder this user owns."
        ) from None


def bind_api_socket(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound here once: a busy port is one line, and the API
    processes that inherit it share it without SO_REUSEPORT (which would let a second server
    bind the same port and take half of the first one's requests)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT only
    try:
        listening.bind((host.strip("[]"), port))
        listening.listen(LISTEN_BACKLOG)
    except OSError as failure:
        listening.close()
        advice = "."
        if failure.errno == errno.EADDRINUSE:
            advice = " (another process listens there: stop it, or choose another port)."
        raise click.ClickException(
            f"Cannot listen on {host}:{port}: {failure.strerror or failure}{advice}"
        ) from None
    os.set_inheritable(listening.fileno(), True)
    return listening


def check_database_revision(settings: Settings) -> None:
    """The database is not at a revision this code does not know (a newer Signalbox
    migrated it: this one would misread its tables). An older one is upgraded by `server
    start` or `signalbox server database upgrade`, and reported by /api/ready meanwhile."""
    from sqlalchemy.exc import SQLAlchemyError

    from models.db.database import read_schema_revision, with_read_session

    try:
        # Read with Signalbox's own engine (WAL, busy timeout), not through Alembic's
        # environment, whose engine is made for migrating, not for reading beside live writers.
        current = asyncio.run(with_read_session(settings, read_schema_revision))
    except SQLAlchemyError:
        # Away for now: the processes ride out a database outage (503s, messages waiting in
        # Redis), so a worker restarted during one must not refuse to start.
        return
    if current is None:
        return
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)  # its set-up chatter is no news to an operator
    from alembic.util import CommandError

    from migrations import commands

    try:
        commands.script_directory(settings).get_revision(current)
    except CommandError:
        raise click.ClickException(
            f"The database was migrated by a newer Signalbox (revision {current}); "
            "upgrade Signalbox."
        ) from None
    finally:
        alembic_log.setLevel(level)
