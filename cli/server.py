"""`signalbox server`: run Signalbox (all of it, or one piece) and manage its database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from cli.database import database, upgrade
from cli.server_files import use_server_redis
from models.settings import Settings, mask_url_password


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
              help="Processes for each of the state and ingest pools (each supervised "
              "on its own).")  # fmt: skip
@click.option("--worker-threads", type=int, help="Threads per worker process (default: per pool).")
@click.option("--worker-pools", type=click.Choice(["per-pool", "one-process"]),
              default="per-pool", show_default=True,
              help="A worker process per pool, or every pool in one (~240 MB less at rest; "
              "state and ingest then share one interpreter lock). --worker-processes above 1 "
              "and --notify-pools separate imply per-pool.")  # fmt: skip
@click.option("--notify-pools", type=click.Choice(["shared", "separate"]), default="shared",
              show_default=True,
              help="All channels in one worker process with the services (each queue with "
              "its own threads), or one process per channel as in the Procfile.")  # fmt: skip
@click.option("--preload/--no-preload", default=True, show_default=True,
              help="Import the API's and workers' code once and fork them from this process "
              "(they share its memory: ~250 MB less at rest), or start each as a new "
              "interpreter.")  # fmt: skip
def start(host: str | None, port: int | None, api_processes: int, worker_processes: int,
          worker_threads: int | None, worker_pools: str, notify_pools: str,
          preload: bool) -> None:  # fmt: skip
    """Run everything: Redis (embedded unless configured), migrations, API, workers, clock."""
    from cli.embedded_redis import PRIVATE_UMASK, EmbeddedRedis
    from cli.pools import ONE_PROCESS, POOLS, SEPARATE_IN_SERVER_START, SERVICES_AND_NOTIFY
    from cli.preflight import bind_api_socket, check_home_writable, check_redis
    from cli.server_files import (
        claim_pid_file,
        lock_home_folder,
        remove_server_files,
        write_server_addresses,
    )
    from cli.supervisor import Child, Supervisor
    from models.private_files import secure_folder

    settings = Settings()
    host, port = host or settings.api_host, port or settings.api_port
    env = dict(os.environ, SIGNALBOX_API_HOST=host, SIGNALBOX_API_PORT=str(port))
    # What the server and its children create (database, key, AOF, logs) is theirs alone.
    os.umask(PRIVATE_UMASK)
    check_home_writable(settings.home)
    home_lock = lock_home_folder(settings.home)
    listening = bind_api_socket(host, port)
    if settings.redis_url:
        check_redis(settings.redis_url)
    secure_folder(settings.home)  # the SQLite files, wherever they are: in prepare-database
    claim_pid_file(settings.home, os.getpid())
    env["PROMETHEUS_MULTIPROC_DIR"] = str(fresh_metrics_folder(settings.home))
    redis = None
    supervisor = None
    try:
        children = []
        if not settings.redis_url:
            redis = EmbeddedRedis(settings.home / "redis", pass_fds=(home_lock,)).start()
            env["SIGNALBOX_REDIS_URL"] = redis.url
            click.echo(
                f"Embedded Redis on {mask_url_password(redis.url)} "
                f"(data in {settings.home / 'redis'})"
            )
            # Supervised like the others: restarted after a crash on the same port and
            # password, its AOF holding every message it had acknowledged.
            children.append(
                Child("embedded Redis", redis.command, process=redis.process,
                      pass_fds=(home_lock,), stop_after_others=True)
            )  # fmt: skip
        base = f"http://{host}:{port}"
        write_server_addresses(
            settings.home, redis_url=env["SIGNALBOX_REDIS_URL"], api_url=f"{base}/api"
        )
        prepare = python_command("server", "prepare-database")
        if settings.migrate_on_start:
            prepare.append("--migrate")
        if subprocess.run(prepare, env=env, stdin=subprocess.DEVNULL).returncode != 0:
            raise click.exceptions.Exit(1)
        if settings.migrate_on_start:
            click.echo(f"Database at head: {settings.masked()['database_url']}")
        api_command = python_command(
            "server", "api", "--host", host, "--port", str(port),
            "--socket-fd", str(listening.fileno()),
        )  # fmt: skip
        children += [
            Child(f"api-{n}", api_command, pass_fds=(home_lock, listening.fileno()),
                  forked=preload)
            for n in range(1, api_processes + 1)
        ]  # fmt: skip
        pools = POOLS
        if worker_pools == "one-process" and worker_processes == 1 and notify_pools == "shared":
            pools = (ONE_PROCESS,)
        elif notify_pools == "shared":
            pools = (
                *(p for p in POOLS if p.name in SEPARATE_IN_SERVER_START),
                SERVICES_AND_NOTIFY,
            )
        for pool in pools:
            args = ["worker", "--pool", pool.name]
            if "services" in pool.queues:  # the clock ticks in the services pool's process
                args = ["server", "clock", "--pool", pool.name]
            if worker_threads:
                args += ["--threads", str(worker_threads)]
            # More than one process for a pool: as many children, each supervised and forked
            # like the others (Dramatiq's CLI would add a master and start each afresh).
            processes = worker_processes if pool.name in {"state", "ingest"} else 1
            children += [
                Child(f"worker {pool.name}" + (f"-{n}" if processes > 1 else ""),
                      python_command(*args), pass_fds=(home_lock,), forked=preload)
                for n in range(1, processes + 1)
            ]  # fmt: skip

        supervisor = Supervisor(children, env, report=lambda line: click.echo(line, err=True))
        stop_on_signals(supervisor.stopping)
        if preload:
            from cli.forked_children import preload as preload_children

            preload_children(env)
        supervisor.start_all()
        click.echo(f"Signalbox is starting: API {base}/api, docs {base}/docs")
        click.echo(f"Prefect clients: PREFECT_API_URL={base}/api. Ctrl-C stops everything.")
        supervisor.watch()
        click.echo("Stopping...")
    finally:
        if supervisor is not None:
            supervisor.stop_all()  # the embedded Redis among them, once the others exited
        elif redis is not None:
            redis.stop()
        listening.close()
        remove_server_files(settings.home, os.getpid())
        os.close(home_lock)
    if supervisor is not None and supervisor.gave_up is not None:
        raise click.ClickException(f"Signalbox stopped: {supervisor.gave_up.name} cannot run.")
    click.echo("Signalbox stopped.")


@server.command("prepare-database", hidden=True)
@click.option("--migrate", is_flag=True, help="Upgrade the database to head.")
@click.pass_context
def prepare_database(ctx: click.Context, migrate: bool) -> None:
    """What `server start` runs in a child before the others: the SQLite files made private
    (wherever the database is), then the database upgraded to head, or only checked.

    In a child: SQLAlchemy, Alembic and the models would otherwise stay in the supervisor's
    memory (~30 MB) for as long as the server runs, for one use at start. Both the check and
    the upgrade refuse a database migrated by a newer Signalbox in one line.
    """
    from cli.preflight import check_database_revision
    from models.private_files import sqlite_files, tighten_files

    settings = Settings()
    tighten_files(sqlite_files(settings.database_url))
    if migrate:
        ctx.invoke(upgrade, yes=True)
    else:
        check_database_revision(settings)


@server.command()
def status() -> None:
    """Is a server running from this home folder: its processes, API, Redis, database and
    queues. Exits 3 when no server is running."""
    from cli.server_files import find_redis_url, read_server_files
    from cli.server_status import (
        api_answers,
        database_revision,
        describe_server,
        server_processes,
    )
    from cli.tables import format_table

    settings = Settings()
    recorded = read_server_files(settings.home)
    running, line = describe_server(recorded, str(settings.home))
    click.echo(line)
    if running and recorded is not None:
        processes = [(p.pid, p.command) for p in server_processes(recorded.pid)]
        click.echo("Processes:")
        for row in format_table(("pid", "command"), processes, right=("pid",)):
            click.echo(f"  {row}")
        if recorded.api_url:
            answer = "answering" if api_answers(recorded.api_url) else "NOT answering"
            click.echo(f"API: {recorded.api_url} ({answer} /api/health)")
    click.echo(f"Database: {settings.masked()['database_url']}")
    click.echo(f"  revision {database_revision(settings)}")
    try:
        redis_url, source = find_redis_url(settings)
    except click.ClickException:
        click.echo("Redis: none (no server running and SIGNALBOX_REDIS_URL not set)")
    else:
        click.echo(f"Redis: {mask_url_password(redis_url)} (from {source})")
        echo_queues(redis_url)
    if not running:
        raise click.exceptions.Exit(3)


def echo_queues(redis_url: str) -> None:
    """The depth of every queue, and the live worker processes, or why they cannot be read."""
    import redis

    from cli.queue import QUEUE_COLUMNS
    from cli.tables import format_table

    os.environ["SIGNALBOX_REDIS_URL"] = redis_url  # read by the broker when actors load
    from actors.queue_admin import known_queues, live_worker_processes, queue_stats

    try:
        rows = [queue_stats(name) for name in known_queues()]
        alive = live_worker_processes()
    except redis.RedisError as failure:
        click.echo(f"  not answering ({type(failure).__name__})")
        return
    click.echo("Queues:")
    table = [(row.queue, row.ready, row.delayed, row.in_flight, row.dead) for row in rows]
    for line in format_table(QUEUE_COLUMNS, table, right=QUEUE_COLUMNS[1:]):
        click.echo(f"  {line}")
    click.echo(f"Worker processes alive: {len(alive)}")


@server.command()
@click.option("--timeout", default=60.0, show_default=True,
              help="Seconds to wait for the server to exit.")  # fmt: skip
def stop(timeout: float) -> None:
    """Stop the server running from this home folder (as Ctrl-C would) and wait for it."""
    import psutil

    from cli.server_files import PID_FILE, process_exists, read_server_files, remove_server_files

    settings = Settings()
    recorded = read_server_files(settings.home)
    if recorded is None or not recorded.alive:
        if recorded is not None:  # left by a server that was killed: nobody else will
            remove_server_files(settings.home, recorded.pid)
        click.echo(f"No Signalbox server is running from {settings.home}.")
        return
    try:
        supervisor = psutil.Process(recorded.pid)
        command = supervisor.cmdline()
    except psutil.NoSuchProcess:
        click.echo(f"No Signalbox server is running from {settings.home}.")
        return
    if "server" not in command or "start" not in command:
        # The pid was reused since a server that died without cleaning up wrote it.
        raise click.ClickException(
            f"pid {recorded.pid} in {settings.home / PID_FILE} is not a Signalbox server "
            f"({' '.join(command)[:80]}); remove the file if no server runs."
        )
    click.echo(f"Stopping the Signalbox server (pid {recorded.pid})...")
    supervisor.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_exists(recorded.pid):
        if time.monotonic() > deadline:
            raise click.ClickException(
                f"The server (pid {recorded.pid}) did not stop within {timeout:.0f} s."
            )
        time.sleep(0.2)  # polling another process's exit, with a deadline
    click.echo("Signalbox server stopped.")


#: The folder under the home folder where every process of a server writes its metrics.
METRICS_FOLDER = "metrics"


def fresh_metrics_folder(home: Path) -> Path:
    """The server's metrics folder, emptied: counts of an earlier run must not add up with
    this one's (prometheus-client keeps one file per process id, and ids are reused)."""
    folder = home / METRICS_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    return folder


def stop_on_signals(stopping: threading.Event) -> None:
    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


@server.command()
@click.option("--host", help="Address to listen on (default: SIGNALBOX_API_HOST).")
@click.option("--port", type=int, help="Port (default: SIGNALBOX_API_PORT).")
@click.option("--socket-fd", type=int, hidden=True,
              help="A listening socket inherited from `server start` (shared by its API "
              "processes), instead of binding the port.")  # fmt: skip
def api(host: str | None, port: int | None, socket_fd: int | None) -> None:
    """Run the HTTP API alone (it queues work for the worker pools)."""
    import socket

    from aiohttp import web

    from cli.preflight import bind_api_socket, check_database_revision, check_redis
    from models.logging_setup import configure_logging

    # The address it binds is a Host it answers for (see api.cross_site).
    settings = Settings(api_host=host) if host else Settings()
    configure_logging(settings, f"api {os.getpid()}")
    if socket_fd is not None:
        listening = socket.socket(fileno=socket_fd)
    else:
        listening = bind_api_socket(host or settings.api_host, port or settings.api_port)
    check_redis(use_server_redis(settings))  # before `actors` is imported: it reads the URL
    check_database_revision(settings)

    from api.access_log import access_log_options
    from api.app import create_app
    from migrations.commands import head_revision
    from models.event_loops import new_event_loop

    web.run_app(
        create_app(settings, schema_head=head_revision(settings)),
        sock=listening,
        loop=new_event_loop(),
        print=lambda line: click.echo(line, err=True),
        **(access_log_options() if settings.access_log else {"access_log": None}),
    )


@server.command()
@click.option("--pool", "pool_name", help="Also consume this worker pool's queues here.")
@click.option("--threads", type=int, help="Threads of that pool (default: the pool's).")
@click.option("--check", is_flag=True,
              help="Run nothing: exit 0 if a clock of this host ticks, 1 if not (a "
              "container's health check).")  # fmt: skip
def clock(pool_name: str | None, threads: int | None, check: bool) -> None:
    """Run the clock: it sends the periodic service messages.

    `server start` runs it beside the services pool, in one process: a Python process of its
    own would cost ~60 MB to send two messages a minute. The Procfile runs it alone.
    """
    from cli.preflight import check_redis
    from models.logging_setup import configure_logging

    settings = Settings()
    check_redis(use_server_redis(settings))  # before `actors` is imported: it reads the URL
    if check:
        from cli.health_checks import clock_problem

        if problem := clock_problem():
            raise click.ClickException(problem)
        return
    from actors.clock import run_clock

    stopping = threading.Event()
    if pool_name is None:
        configure_logging(settings, "clock")
        stop_on_signals(stopping)
        run_clock(stopping)
        return
    from dataclasses import replace

    from cli.pools import pool_named
    from cli.worker import run_in_process

    pool = pool_named(pool_name)
    if threads:
        pool = replace(pool, threads=threads)
    ticking = threading.Thread(target=run_clock, args=(stopping,), name="clock")
    ticking.start()
    try:
        run_in_process(pool)  # until SIGTERM or SIGINT
    finally:
        stopping.set()
        ticking.join()
