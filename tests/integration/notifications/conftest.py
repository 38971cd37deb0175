"""Fixtures of the notification tests: the services' stand-in, settings that point every
channel at it, and in-process workers that consume the channel queues too."""

from __future__ import annotations

# Imported so that pytest finds them here; defined once in the fixtures module.
from tests.integration.notifications.fixtures import (  # noqa: F401
    drain,
    receiver,
    settings,
    workers,
)
