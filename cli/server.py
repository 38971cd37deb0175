"""`signalbox server`: run Signalbox (all of it, or one piece) and manage its database."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import click

from cli.database import database
from models.settings import Settings


@click.group()
def server() -> None:
    """Start Signalbox, or manage its database."""


server.add_command(database)


def python_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


@server.command()
@click.option("--host", help="Address the API listens on (default: SIGNALBOX_API_HOST).")
@click.option("--port", type=int, help="Port of the API (default: SIGNALBOX_API_PORT).")
@click.option("--api-processes", default=1, show_default=True, help="API processes (one port).")
@click.option("--worker-processes", default=1, show_default=True,
              help="Processes for each of the state and ingest pools.")  # fmt: skip
@click.option("--worker-threads", type=int, help="Threads per worker process (default: per pool).")
@click.option("--notify-pools", type=click.Choice(["shared", "separate"]), default="shared",
              show_default=True,
              help="All channels in one worker process (each with its own threads), or one "
              "process per channel as in the Procfile.")  # fmt: skip
def start(host: str | None, port: int | None, api_processes: int, worker_processes: int,
          worker_threads: int | None, notify_pools: str) -> None:  # fmt: skip
    """Run everything: Redis (embedded unless configured), migrations, API, workers, clock."""
    from actors.pools import NOTIFY_SHARED, POOLS
    from cli.embedded_redis import EmbeddedRedis
    from cli.supervisor import Child, Supervisor

    settings = Settings()
    host, port = host or settings.api_host, port or settings.api_port
    env = dict(os.environ, SIGNALBOX_API_HOST=host, SIGNALBOX_API_PORT=str(port))
    redis = None
    if settings.redis_url is None:
        redis = EmbeddedRedis(settings.home / "redis").start()
        env["SIGNALBOX_REDIS_URL"] = redis.url
        click.echo(f"Embedded Redis on {redis.url} (data in {settings.home / 'redis'})")
    supervisor = None
    try:
        if settings.migrate_on_start:
            from cli.database import one_line_errors
            from migrations import commands

            with one_line_errors():
                commands.upgrade(settings)
            click.echo(f"Database at head: {settings.masked()['database_url']}")
        children = [
            Child(f"api-{n}", python_command("server", "api", "--host", host, "--port", str(port)))
            for n in range(1, api_processes + 1)
        ]
        pools = POOLS
        if notify_pools == "shared":
            pools = (*(p for p in POOLS if not p.name.startswith("notify_")), NOTIFY_SHARED)
        for pool in pools:
            processes = worker_processes if pool.name in {"state", "ingest"} else 1
            args = ["worker", "--pool", pool.name, "--processes", str(processes)]
            if worker_threads:
                args += ["--threads", str(worker_threads)]
            children.append(Child(f"worker {pool.name}", python_command(*args)))
        children.append(Child("clock", python_command("server", "clock")))

        supervisor = Supervisor(children, env, report=lambda line: click.echo(line, err=True))
        stop_on_signals(supervisor.stopping)
        supervisor.start_all()
        base = f"http://{host}:{port}"
        click.echo(f"Signalbox is starting: API {base}/api, docs {base}/docs")
        click.echo(f"Prefect clients: PREFECT_API_URL={base}/api. Ctrl-C stops everything.")
        supervisor.watch()
        click.echo("Stopping...")
    finally:
        if supervisor is not None:
            supervisor.stop_all()
        if redis is not None:
            redis.stop()
    click.echo("Signalbox stopped.")


def stop_on_signals(stopping: threading.Event) -> None:
    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


@server.command()
@click.option("--host", help="Address to listen on (default: SIGNALBOX_API_HOST).")
@click.option("--port", type=int, help="Port (default: SIGNALBOX_API_PORT).")
def api(host: str | None, port: int | None) -> None:
    """Run the HTTP API alone (it queues work for the worker pools)."""
    from aiohttp import web

    from api.app import create_app

    settings = Settings()
    web.run_app(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        reuse_port=True,  # several API processes may share the port
        access_log=None,
        print=lambda line: click.echo(line, err=True),
    )


@server.command()
def clock() -> None:
    """Run the clock alone: it sends the periodic service messages."""
    from actors.clock import run_clock

    stopping = threading.Event()
    stop_on_signals(stopping)
    run_clock(stopping)
