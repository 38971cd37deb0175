"""`signalbox server`: run Signalbox and manage its database."""

from __future__ import annotations

import click

from cli.database import database


@click.group()
def server() -> None:
    """Start Signalbox, or manage its database."""


server.add_command(database)
