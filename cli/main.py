"""The `signalbox` command: a thin shell of nouns and verbs over the lower layers."""

from __future__ import annotations

import click

from cli.config import config
from cli.notifications import notifications
from cli.queue import queue
from cli.server import server
from cli.worker import worker


@click.group()
@click.version_option(package_name="signalbox")
def signalbox() -> None:
    """Signalbox: a self-hosted workflow-orchestration server that speaks Prefect's API."""


signalbox.add_command(config)
signalbox.add_command(notifications)
signalbox.add_command(queue)
signalbox.add_command(server)
signalbox.add_command(worker)
