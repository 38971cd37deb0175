"""Fixtures of the automation action tests: the services' stand-in, and in-process workers on
the core queues (`actions` among them) and the channel queues, as the notification tests have."""

from __future__ import annotations

# Imported so that pytest finds them here; defined once in the fixtures module.
from tests.integration.notifications.fixtures import (  # noqa: F401
    drain,
    receiver,
    settings,
    workers,
)
