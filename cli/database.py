"""`signalbox server database`: create, upgrade, downgrade and inspect the database schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from models.settings import Settings, mask_url_password


def masked_url(settings: Settings) -> str:
    return mask_url_password(settings.database_url)


def confirm_or_abort(yes: bool, question: str, aborted: str) -> None:
    """Ask `[y/N]` unless -y was given; stop with exit 1 on anything but yes."""
    if yes:
        return
    if not click.confirm(question, default=False):
        click.echo(aborted, err=True)
        raise click.exceptions.Exit(1)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Alembic's and the drivers' failures become one line and exit 1, never a traceback."""
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        yield
    except CommandError as exc:
        raise click.ClickException(str(exc)) from None
    except ArgumentError as exc:
        raise click.ClickException(f"Bad database URL: {exc}") from None
    except SQLAlchemyError as exc:
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"Database error: {first_line}") from None
    except (OSError, RuntimeError, ModuleNotFoundError) as exc:
        raise click.ClickException(str(exc).strip().splitlines()[0]) from None


def echo_step(line: str) -> None:
    click.echo(f"  {line}")


#: What `reset` prints as each of its two phases begins.
PHASES = {"downgrade": "Downgrading database...", "upgrade": "Upgrading database..."}

pass_settings = click.make_pass_decorator(Settings, ensure=True)
yes_option = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print the SQL the migrations would run instead of running it."
)


@click.group()
def database() -> None:
    """Create, upgrade and downgrade the Signalbox database."""


@database.command()
@yes_option
@pass_settings
def reset(settings: Settings, yes: bool) -> None:
    """Drop every Signalbox table and recreate the schema at head."""
    from migrations import commands

    confirm_or_abort(
        yes,
        f'Reset the Signalbox database at "{masked_url(settings)}"? '
        "This drops and recreates every table",
        "Database reset aborted.",
    )
    with one_line_errors():
        commands.reset(
            settings, on_phase=lambda phase: click.echo(PHASES[phase]), on_step=echo_step
        )
    click.echo(f'Signalbox database "{masked_url(settings)}" reset.')


def migrate_command(
    direction: str, default: str, help_revision: str
) -> Callable[[Callable[..., None]], click.Command]:
    """The upgrade and downgrade commands share their options, prompt and messages."""

    def decorate(run: Callable[..., None]) -> click.Command:
        @click.option("-r", "--revision", default=default, show_default=True, help=help_revision)
        @dry_run_option
        @yes_option
        @pass_settings
        def command(settings: Settings, revision: str, dry_run: bool, yes: bool) -> None:
            if not dry_run:
                confirm_or_abort(
                    yes,
                    f"{direction.capitalize()} the Signalbox database at "
                    f"{masked_url(settings)} to {revision}?",
                    f"Database {direction} aborted.",
                )
            with one_line_errors():
                if not dry_run:
                    click.echo(f"Running {direction} migrations ...")
                run(settings, revision, dry_run=dry_run, on_step=echo_step)
            if not dry_run:
                click.echo(f"Signalbox database at {masked_url(settings)} {direction}d.")

        command.__doc__ = run.__doc__
        return database.command(name=direction)(command)

    return decorate


@migrate_command("upgrade", "head", "head, a revision id or unique prefix, or +N.")
def upgrade(settings: Settings, revision: str, **options: object) -> None:
    """Apply migrations up to REVISION (default: all of them)."""
    from cli.preflight import check_database_revision
    from migrations import commands

    check_database_revision(settings)  # a newer Signalbox's revision: refused in one line
    commands.upgrade(settings, revision, **options)  # type: ignore[arg-type]


@migrate_command("downgrade", "-1", "-N steps, a revision id or unique prefix, or base.")
def downgrade(settings: Settings, revision: str, **options: object) -> None:
    """Undo migrations down to REVISION (default: the most recent one)."""
    from migrations import commands

    commands.downgrade(settings, revision, **options)  # type: ignore[arg-type]


@database.command()
@click.argument("revision")
@pass_settings
def stamp(settings: Settings, revision: str) -> None:
    """Record REVISION as the current one without running migrations."""
    from migrations import commands

    with one_line_errors():
        commands.stamp(settings, revision)
    click.echo(f"Database stamped with revision {revision}.")


@database.command()
@pass_settings
def current(settings: Settings) -> None:
    """Print the revision the database is at."""
    from migrations import commands

    with one_line_errors():
        revision, head = commands.current_and_head_revisions(settings)
    label = "(head)" if revision == head else f"(head is {head})"
    click.echo(f"{revision or 'base'} {label}")


@database.command()
@pass_settings
def history(settings: Settings) -> None:
    """List every revision, oldest first."""
    from migrations import commands

    for revision, description in commands.revision_history(settings):
        click.echo(f"{revision}  {description}")


@database.command()
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--autogenerate/--no-autogenerate", default=False, help="Diff the models.")
@pass_settings
def revision(settings: Settings, message: str, autogenerate: bool) -> None:
    """Write a new revision file (for developers of Signalbox)."""
    from migrations import commands

    with one_line_errors():
        paths = commands.write_revision(settings, message, autogenerate=autogenerate)
    for path in paths:
        click.echo(f"Wrote {path}")


@database.command(name="rotate-key")
@click.option("--new-key", envvar="SIGNALBOX_NEW_ENCRYPTION_KEY", show_envvar=True,
              help="The new key: a Fernet key or a passphrase (asked for when not given; "
              "generated when no SIGNALBOX_ENCRYPTION_KEY is set).")  # fmt: skip
@yes_option
@pass_settings
def rotate_key(settings: Settings, new_key: str | None, yes: bool) -> None:
    """Re-encrypt every block document under a new key, in one transaction.

    Stop the server first: its processes hold the old key. With SIGNALBOX_ENCRYPTION_KEY
    set, set it to the new key before starting again; otherwise the home folder's key file
    is replaced.
    """
    import asyncio

    from cryptography.fernet import Fernet

    from cli.server_files import read_server_files
    from models.blocks.encryption import (
        BlockKey,
        UnreadableBlockData,
        block_key_for,
        install_home_folder_key,
        stage_home_folder_key,
    )
    from models.blocks.key_rotation import rotate_block_key
    from models.db.database import Database, with_database

    recorded = read_server_files(settings.home)
    if recorded is not None and recorded.alive:
        raise click.ClickException(
            f"A Signalbox server is running from {settings.home} (pid {recorded.pid}); "
            "stop it first (`signalbox server stop`)."
        )
    configured = settings.encryption_key is not None
    if new_key is None:
        if configured:
            new_key = click.prompt("New key", hide_input=True, confirmation_prompt=True)
        else:
            new_key = Fernet.generate_key().decode()
    assert new_key is not None
    if not new_key.strip():
        raise click.ClickException("The new key is empty.")
    confirm_or_abort(
        yes,
        f"Re-encrypt every block document of {masked_url(settings)} under the new key?",
        "Key rotation aborted.",
    )
    old, new = block_key_for(settings), BlockKey(new_key)

    async def rotate(database: Database) -> int:
        async with database.sessions.begin() as session:
            return await rotate_block_key(session, old, new)

    # The new key is on disk before any document depends on it.
    staged = None if configured else stage_home_folder_key(settings.home, new_key)
    try:
        with one_line_errors():
            try:
                count = asyncio.run(with_database(settings, rotate))
            except UnreadableBlockData as error:
                raise click.ClickException(f"{error} Nothing was changed.") from None
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    if staged is not None:
        install_home_folder_key(settings.home, staged)
    if configured:
        click.echo(
            f"{count} block documents re-encrypted. Set SIGNALBOX_ENCRYPTION_KEY to the new "
            "key before starting Signalbox again."
        )
    else:
        click.echo(
            f"{count} block documents re-encrypted; the new key is in "
            f"{settings.home / 'encryption.key'}."
        )
