"""`signalbox config`: the effective settings, secrets masked."""

from __future__ import annotations

import click

from models.settings import Settings


@click.command()
def config() -> None:
    """Print the effective settings (SIGNALBOX_* variables and defaults), secrets masked."""
    shown = Settings().masked()
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        click.echo(f"SIGNALBOX_{name.upper():<{width}}  {value}")
