"""What `signalbox server status` reports: the server of a home folder, and the parts of it.

Each part is read on its own and a part that does not answer says so: a status that fails
when Redis is down would be no help when Redis is down.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cli.server_files import ServerFiles
from models.private_files import sqlite_files
from models.settings import Settings

#: Seconds the API has to answer /api/health.
HEALTH_TIMEOUT_SECONDS = 3.0
#: Hosts a server listens on that a client cannot connect to, and the one it uses instead.
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "[::1]"}


@dataclass(frozen=True)
class ServerProcess:
    pid: int
    command: str


def server_processes(pid: int) -> list[ServerProcess]:
    """The supervisor and every process under it, with the command each runs."""
    import psutil

    try:
        supervisor = psutil.Process(pid)
        processes = [supervisor, *supervisor.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    found = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            found.append(ServerProcess(process.pid, short_command(process.cmdline())))
    return found


def short_command(cmdline: list[str]) -> str:
    """`server api --port 4200` rather than `/venv/bin/python -m cli server api --port 4200`."""
    parts = [part for part in cmdline if part]
    if len(parts) == 1:  # a title set by the process (`server start`'s forked children)
        cmdline = parts[0].split()
    if "-m" in cmdline:
        return " ".join(cmdline[cmdline.index("-m") + 1 :])
    if not cmdline:
        return ""
    return " ".join([Path(cmdline[0]).name, *cmdline[1:]])


def api_answers(api_url: str) -> bool:
    """Whether `<api_url>/health` answers true (a wildcard host is asked on loopback)."""
    parts = urlsplit(api_url)
    host = parts.hostname or ""
    netloc = parts.netloc.replace(host, WILDCARD_HOSTS[host], 1) if host in WILDCARD_HOSTS else None
    url = urlunsplit(parts._replace(netloc=netloc or parts.netloc)).rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as answer:
            return bool(json.loads(answer.read()) is True)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def database_revision(settings: Settings) -> str:
    """`<revision> (head)`, `<revision> (head is <head>)`, or why there is none to read."""
    files = sqlite_files(settings.database_url)
    if files and not files[0].exists():
        return "no database yet (the server creates it when it starts)"
    from sqlalchemy.exc import SQLAlchemyError

    from migrations import commands

    try:
        revision, head = commands.current_and_head_revisions(settings)
    except (SQLAlchemyError, OSError) as failure:  # the database is away: say so
        return f"not readable ({type(failure).__name__}: {str(failure).splitlines()[0]})"
    label = "(head)" if revision == head else f"(head is {head})"
    return f"{revision or 'base'} {label}"


def describe_server(recorded: ServerFiles | None, home: str) -> tuple[bool, str]:
    """Whether a server runs from the home folder, and the line that says so."""
    if recorded is None:
        return False, f"Signalbox server: not running (no server.pid in {home})"
    if not recorded.alive:
        return False, (
            f"Signalbox server: not running (server.pid in {home} names pid {recorded.pid}, "
            "which is gone)"
        )
    return True, f"Signalbox server: running (pid {recorded.pid}) from {home}"
