"""What notification tests run against: settings pointing every channel at the services'
stand-in, and in-process workers that consume the channel queues as well as the core ones.

Plain functions, so that the notification tests' conftest and the compat tests can both
build their fixtures from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dramatiq
import pytest

from actors.broker import broker
from models.notifications.channels import CHANNEL_QUEUES
from models.settings import Settings
from tests.conftest import TEST_REDIS_URL
from tests.integration.notifications.receiver import Receiver
from tests.running import CORE_QUEUES

#: What the notification tests change from the defaults: short timeouts and backoff.
FAST_DELIVERY = {
    "delivery_timeout_seconds": 1.0,
    "delivery_backoff_seconds": 0.2,
    "delivery_max_backoff_seconds": 1.0,
    "delivery_max_attempts": 4,
}
#: Settings a worker process reads from its environment at boot.
WORKER_SETTINGS = (
    *FAST_DELIVERY,
    "discord_base_url",
    "opsgenie_base_url",
    "pagerduty_base_url",
    "sendgrid_base_url",
    "twilio_base_url",
    "ui_url",
    "block_private_urls",
)
#: Every queue the in-process workers of notification tests consume.
ALL_QUEUES = CORE_QUEUES | CHANNEL_QUEUES


def notification_settings(home: Path, database_url: str, receiver: Receiver) -> Settings:
    """The suite's settings, with every channel's base URL pointing at the receiver."""
    return Settings(
        home=home,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        ui_url="http://signalbox.test",
        discord_base_url=receiver.url,
        opsgenie_base_url=receiver.url,
        pagerduty_base_url=receiver.url,
        sendgrid_base_url=receiver.url,
        twilio_base_url=receiver.url,
        **FAST_DELIVERY,
    )


def worker_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the settings a worker reads at boot into the environment."""
    monkeypatch.setenv("SIGNALBOX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIGNALBOX_HOME", str(settings.home))
    for name in WORKER_SETTINGS:
        monkeypatch.setenv(f"SIGNALBOX_{name.upper()}", str(getattr(settings, name)))


@contextmanager
def running_workers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, queues: set[str]
) -> Iterator[dramatiq.Worker]:
    """In-process workers on `queues`, on a flushed broker, stopped on exit."""
    worker_environment(settings, monkeypatch)
    broker.flush_all()
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=8, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        broker.flush_all()
