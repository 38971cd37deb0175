"""`signalbox worker`: Dramatiq worker processes for a pool of queues.

One process per pool runs Dramatiq's Worker right here: Dramatiq's own CLI would add a
master process per pool, doubling the memory of a small install. With `--processes` above
one, Dramatiq's CLI takes over (its master starts and watches the processes).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import replace
from typing import Any

import click

from cli.pools import (
    IDLE_POLL_MS,
    ONE_PROCESS,
    POOLS,
    QUEUES,
    SERVICES_AND_NOTIFY,
    Pool,
    PoolOrQueueName,
    pool_named,
)
from cli.server_files import use_server_redis
from models.settings import Settings

#: Seconds in-flight messages get to finish when the worker is asked to stop.
SHUTDOWN_SECONDS = 10


def dramatiq_command(queues: list[str], processes: int, threads: int) -> list[str]:
    """The Dramatiq command line for these queues: `python -m dramatiq actors ...`."""
    return [
        sys.executable, "-m", "dramatiq", "actors",
        "--processes", str(processes), "--threads", str(threads),
        "--queues", *queues,
        "--worker-shutdown-timeout", str(SHUTDOWN_SECONDS * 1000),
    ]  # fmt: skip


def run_in_process(pool: Pool) -> None:
    """Consume the pool's queues in this process until SIGTERM or SIGINT."""
    import actors  # noqa: F401  (declares every actor on the broker)
    from actors.broker import broker
    from cli.pool_worker import PoolWorker
    from models.logging_setup import configure_logging

    configure_logging(Settings(), f"worker {pool.name} {os.getpid()}")
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker = PoolWorker(broker, pool, worker_timeout=IDLE_POLL_MS)
    worker.start()
    logging.info("Consuming %s with %d threads.", ", ".join(pool.queues), pool.threads)
    stopping.wait()
    worker.stop(timeout=SHUTDOWN_SECONDS * 1000)


@click.command()
@click.option("--pool", "pool_name",
              type=PoolOrQueueName([p.name for p in (*POOLS, SERVICES_AND_NOTIFY, ONE_PROCESS)]),
              help="Run a named pool (its queues, threads and prefetch); notify_slack is "
              "notify.slack.")  # fmt: skip
@click.option("--queues", "-Q", multiple=True, type=PoolOrQueueName(QUEUES),
              help="Queues to consume (instead of --pool).")  # fmt: skip
@click.option("--processes", "-p", default=1, show_default=True, help="Worker processes.")
@click.option("--threads", "-t", type=int, help="Threads per process (default: the pool's).")
@click.option("--check", is_flag=True,
              help="Consume nothing: exit 0 if a live worker process of this host consumes "
              "these queues, 1 if not (a container's health check).")  # fmt: skip
def worker(pool_name: str | None, queues: tuple[str, ...], processes: int,
           threads: int | None, check: bool) -> None:  # fmt: skip
    """Consume queues with Dramatiq worker processes until stopped."""
    if pool_name:
        pool = pool_named(pool_name)
    elif queues:
        pool = Pool("custom", tuple(queues), threads=threads or 8, prefetch=(threads or 8) * 2)
    else:
        raise click.UsageError("Give --pool or --queues.")
    if threads:
        pool = replace(pool, threads=threads)
    from cli.preflight import check_redis

    settings = Settings()
    if check:
        check_redis(use_server_redis(settings))
        from cli.health_checks import worker_pool_problem

        if problem := worker_pool_problem(pool.queues):
            raise click.ClickException(problem)
        return
    # For this process and the ones Dramatiq's CLI starts; checked before either consumes.
    # The database's revision is checked by `server start` and `server api`, not here.
    check_redis(use_server_redis(settings))
    if processes == 1:
        run_in_process(pool)
        return
    os.environ["dramatiq_queue_prefetch"] = str(pool.prefetch)  # noqa: SIM112 (its name)
    command = dramatiq_command(list(pool.queues), processes, pool.threads)
    os.execv(sys.executable, command)  # Dramatiq's CLI handles signals and its children
