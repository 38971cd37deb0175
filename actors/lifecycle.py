"""Opening and closing what a worker process shares, with the worker itself."""

from __future__ import annotations

from typing import Any

from dramatiq import Broker, Middleware, Worker
from dramatiq.asyncio import get_event_loop_thread

from actors import resources
from models.settings import Settings


def run_on_worker_loop(coroutine: Any) -> Any:
    """Run a coroutine on the event loop thread the AsyncIO middleware started."""
    loop_thread = get_event_loop_thread()
    if loop_thread is None:
        raise RuntimeError("The AsyncIO middleware must come before WorkerResources")
    return loop_thread.run_coroutine(coroutine)


class WorkerResources(Middleware):
    """Opens the database and Redis client when a worker boots, closes them at shutdown.

    Opened *before* the boot (the AsyncIO middleware, earlier in the list, has started its
    loop by then): the worker's threads start consuming during the boot, and a message
    already waiting must find the resources open. Closed *after* the shutdown (the
    `after_` hooks run in reverse order, so before AsyncIO stops its loop), once the last
    message in flight has finished with them.
    """

    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        run_on_worker_loop(resources.open(Settings()))  # the environment, read at boot

    def after_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        run_on_worker_loop(resources.close())
