"""`signalbox api-key`: create, list and revoke the keys callers of the API present."""

from __future__ import annotations

import asyncio
from uuid import UUID

import click

from cli.tables import format_table
from models.settings import Settings

pass_settings = click.make_pass_decorator(Settings, ensure=True)
KEY_COLUMNS = ("name", "scope", "key", "created", "revoked")


@click.group("api-key")
def api_key() -> None:
    """Create, list and revoke API keys (the first key turns authentication on)."""


@api_key.command()
@click.option("--name", required=True, help="A name to tell the key by (unique).")
@click.option(
    "--scope",
    type=click.Choice(["read", "write", "admin"]),
    default="write",
    show_default=True,
    help="read: GET and filters; write: what Prefect clients and workers do; admin: also "
    "secrets in clear and blocks.",
)
@pass_settings
def create(settings: Settings, name: str, scope: str) -> None:
    """Create a key and print it: it is shown this once, and stored only as a digest."""
    from models.api_keys import Scope, create_api_key
    from models.db.database import Database, with_database
    from models.db.types import utcnow
    from models.errors import SignalboxError

    if not name.strip():
        raise click.ClickException("The name must not be empty.")

    async def store(database: Database) -> str:
        async with database.sessions.begin() as session:
            _, key = await create_api_key(session, name.strip(), Scope(scope), utcnow())
        return key

    try:
        key = asyncio.run(with_database(settings, store))
    except SignalboxError as refused:
        raise click.ClickException(refused.detail) from None
    click.echo(key)
    click.echo(
        f"API key {name.strip()!r} ({scope}) created. Keep it now: it cannot be shown again. "
        "Prefect clients: PREFECT_API_KEY=<key>. Callers without a key are now refused.",
        err=True,
    )


@api_key.command("ls")
@pass_settings
def list_keys(settings: Settings) -> None:
    """List keys: name, scope, the key's first characters, when created and revoked."""
    from models.api_keys import read_api_keys
    from models.db.database import with_read_session

    rows = asyncio.run(with_read_session(settings, read_api_keys))
    if not rows:
        click.echo("No API keys.")
        return
    table = [
        (
            row.name,
            row.scope,
            f"{row.shown}...",
            f"{row.created:%Y-%m-%d %H:%M:%S}",
            f"{row.revoked:%Y-%m-%d %H:%M:%S}" if row.revoked else "",
        )
        for row in rows
    ]
    for line in format_table(KEY_COLUMNS, table):
        click.echo(line)


@api_key.command()
@click.argument("name_or_id")
@click.confirmation_option("-y", "--yes", prompt="Revoke the key? Its holders are refused")
@pass_settings
def revoke(settings: Settings, name_or_id: str) -> None:
    """Revoke the key NAME_OR_ID: it stops working within seconds on every API process."""
    from models.api_keys import revoke_api_key
    from models.db.database import Database, with_database
    from models.db.types import utcnow
    from models.errors import SignalboxError

    try:
        chosen: UUID | str = UUID(name_or_id)
    except ValueError:
        chosen = name_or_id

    async def mark(database: Database) -> str:
        async with database.sessions.begin() as session:
            revoked = await revoke_api_key(session, chosen, utcnow())
        return revoked.name

    try:
        name = asyncio.run(with_database(settings, mark))
    except SignalboxError as refused:
        raise click.ClickException(refused.detail) from None
    click.echo(f"API key {name!r} revoked.")
