"""The broker every actor binds to. actors/__init__.py imports it before any actor.

The Redis URL is read from the environment once, when this module is first imported:
`signalbox server start` sets SIGNALBOX_REDIS_URL for its children, tests set it at the top of
their conftest.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from actors.dead_letters import DeadLetters
from actors.lifecycle import WorkerResources
from models.settings import Settings

#: Where the broker connects when no URL is configured (a Redis on this machine).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

broker = RedisBroker(
    url=Settings().redis_url or DEFAULT_REDIS_URL,
    namespace="signalbox",
    middleware=[
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        # `after_*` hooks run in reverse order: DeadLetters, listed before Retries, sees
        # whether Retries gave up on the message.
        DeadLetters(),
        Retries(),
        AsyncIO(),
        CurrentMessage(),
        WorkerResources(),
    ],
)
dramatiq.set_broker(broker)
