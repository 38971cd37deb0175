"""The health checks of docker-compose's processes other than the API: is this container's
worker pool consuming, is this container's clock ticking. Each reads what the process keeps
in Redis for its own reasons, so a check costs the process nothing.

Each returns the one line that says what is wrong, or None when healthy.
"""

from __future__ import annotations

import socket


def worker_pool_problem(queues: tuple[str, ...]) -> str | None:
    """A worker process of this host consumes `queues` and beat within the heartbeat
    timeout (see actors/worker_registry.py)."""
    from actors.queue_admin import live_worker_processes

    host = socket.gethostname()
    mine = [process for process in live_worker_processes() if process.host == host]
    if any(set(queues) <= set(process.queues) for process in mine):
        return None
    return f"no live worker process on {host} consumes {', '.join(queues)}"


def clock_problem() -> str | None:
    """A clock of this host claimed a periodic service lately: each claim is a key holding
    `host:pid` that lives for the service's period (see actors/clock.py)."""
    from actors.broker import broker

    host = socket.gethostname()
    for key in broker.client.scan_iter(match=f"{broker.namespace}:clock:*", count=100):
        owner = broker.client.get(key)
        if owner is not None and owner.decode().startswith(f"{host}:"):
            return None
    return f"no clock on {host} has claimed a periodic service lately"
