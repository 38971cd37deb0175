"""`signalbox notifications`: send a test message, list deliveries, replay failed ones."""

from __future__ import annotations

import asyncio
from uuid import UUID

import click

from cli.server_files import use_server_redis
from cli.tables import format_table
from models.settings import Settings

pass_settings = click.make_pass_decorator(Settings, ensure=True)
DELIVERY_COLUMNS = (
    "id", "channel", "status", "attempts", "created", "automation", "test", "last error"
)  # fmt: skip


def parse_uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise click.ClickException(f"{value!r} is not a {what} id") from None


@click.group()
def notifications() -> None:
    """Test notification channels; list and replay deliveries."""


@notifications.command()
@click.argument("block_document")
@pass_settings
def test(settings: Settings, block_document: str) -> None:
    """Send a test message through BLOCK_DOCUMENT (an id, or <block-type-slug>/<name>) now.

    Prints what each receiver answered; exits 1 unless every one accepted the message.
    """
    from actors.channels.trial import send_test_notification
    from models.db.database import with_database
    from models.errors import SignalboxError
    from models.notifications.outcomes import AttemptOutcome

    try:
        channel, results = asyncio.run(
            with_database(
                settings,
                lambda database: send_test_notification(database, settings, block_document),
            )
        )
    except SignalboxError as refused:
        raise click.ClickException(refused.detail) from None
    for result in results:
        target = f" to {result.target}" if result.target else ""
        click.echo(
            f"{channel}{target}: {result.verdict.outcome} ({result.verdict.reason}, "
            f"{result.answer.duration_ms:.0f} ms)"
        )
    if any(result.verdict.outcome is not AttemptOutcome.DELIVERED for result in results):
        raise click.exceptions.Exit(1)


@notifications.command()
@click.option("--failed", is_flag=True, help="Only deliveries that failed or were given up.")
@click.option("--flow-run", "flow_run", help="Only the deliveries of this flow run (its id).")
@click.option("--automation", "automation", help="Only the deliveries of this automation (its id).")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@pass_settings
def deliveries(
    settings: Settings, failed: bool, flow_run: str | None, automation: str | None, limit: int
) -> None:
    """List deliveries, newest first: id, channel, status, attempts, the automation that
    sent it (none for a notification policy's), whether it tests its policy, last error."""
    from models.db.database import with_read_session
    from models.notifications.history import read_deliveries
    from models.notifications.replay import REPLAYABLE

    flow_run_id = parse_uuid(flow_run, "flow run") if flow_run else None
    automation_id = parse_uuid(automation, "automation") if automation else None
    statuses = list(REPLAYABLE) if failed else None
    rows = asyncio.run(
        with_read_session(
            settings,
            lambda session: read_deliveries(
                session,
                flow_run_id=flow_run_id,
                automation_id=automation_id,
                statuses=statuses,
                limit=limit,
            ),
        )
    )
    if not rows:
        click.echo("No deliveries.")
        return
    table = [
        (row.id, row.channel, row.status, row.attempt_count,
         f"{row.created:%Y-%m-%d %H:%M:%S}", row.automation_id or "", "yes" if row.test else "",
         row.last_error or "")
        for row in rows
    ]  # fmt: skip
    for line in format_table(DELIVERY_COLUMNS, table, right=("attempts",)):
        click.echo(line)


@notifications.command()
@click.argument("delivery_id", required=False)
@click.option("--all-failed", is_flag=True, help="Replay every failed or given-up delivery.")
@pass_settings
def replay(settings: Settings, delivery_id: str | None, all_failed: bool) -> None:
    """Send a failed delivery (DELIVERY_ID), or every failed one, again."""
    if bool(delivery_id) == all_failed:
        raise click.UsageError("Give a DELIVERY_ID or --all-failed, not both or neither.")
    use_server_redis(settings)  # replayed deliveries go back on the channels' queues
    from actors.notifications import replay_deliveries
    from models.db.database import with_database
    from models.errors import SignalboxError

    replayed_id = parse_uuid(delivery_id, "delivery") if delivery_id else None
    try:
        queued = asyncio.run(
            with_database(settings, lambda database: replay_deliveries(database, replayed_id))
        )
    except SignalboxError as refused:
        raise click.ClickException(refused.detail) from None
    click.echo(f"Replaying {len(queued)} deliver{'y' if len(queued) == 1 else 'ies'}.")
