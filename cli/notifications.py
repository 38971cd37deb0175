"""`signalbox notifications`: send a test message, list deliveries, replay failed ones."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import click

from models.settings import Settings

if TYPE_CHECKING:
    from models.db.database import Database
    from models.notifications.evaluation import QueuedDelivery

pass_settings = click.make_pass_decorator(Settings, ensure=True)

#: The subject and body of `notifications test`.
TEST_SUBJECT = "Test notification from Signalbox"
TEST_BODY = "If you can read this, Signalbox can reach this channel."


def run_with_database(settings: Settings, work: Any) -> Any:
    """Run `work(database)` on an event loop, with the database open around it."""
    from models.db.database import open_database

    async def go() -> Any:
        database = open_database(settings)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())


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
    from actors.channels.delivery import Notification, attempt_notification
    from actors.notifications import CHANNELS, ui_url
    from models.blocks.documents import read_block_data, read_block_document_by_name
    from models.blocks.encryption import fernet_for
    from models.errors import ObjectNotFound
    from models.notifications.channels import channel_for_block_type
    from models.notifications.outcomes import AttemptOutcome

    async def send(database: Database) -> list[Any]:
        fernet = fernet_for(settings)
        async with database.read_sessions() as session:
            try:
                if "/" in block_document:
                    slug, name = block_document.split("/", 1)
                    found = await read_block_document_by_name(session, slug, name, fernet)
                    document_id = found.id
                else:
                    document_id = parse_uuid(block_document, "block document")
                block = await read_block_data(session, document_id, fernet)
            except ObjectNotFound:
                raise click.ClickException(f"No block document {block_document}") from None
        channel = channel_for_block_type(block.block_type_slug)
        if channel is None:
            raise click.ClickException(f"A {block.block_type_slug!r} block cannot notify")
        link = ui_url(settings)
        notification = Notification(
            delivery_id=uuid4(),
            subject=TEST_SUBJECT,
            body=TEST_BODY,
            details={"flow_run_url": link, "flow_run_state_name": "Test"},
            data=block.data,
        )
        results, _ = await attempt_notification(CHANNELS[channel], notification, settings)
        return [(channel, result) for result in results]

    results = run_with_database(settings, send)
    for channel, result in results:
        target = f" to {result.target}" if result.target else ""
        click.echo(
            f"{channel}{target}: {result.verdict.outcome} ({result.verdict.reason}, "
            f"{result.answer.duration_ms:.0f} ms)"
        )
    if any(result.verdict.outcome is not AttemptOutcome.DELIVERED for _, result in results):
        raise click.exceptions.Exit(1)


@notifications.command()
@click.option("--failed", is_flag=True, help="Only deliveries that failed or were given up.")
@click.option("--flow-run", "flow_run", help="Only the deliveries of this flow run (its id).")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@pass_settings
def deliveries(settings: Settings, failed: bool, flow_run: str | None, limit: int) -> None:
    """List deliveries, newest first: id, channel, status, attempts, last error."""
    from models.notifications.history import read_deliveries
    from models.notifications.replay import REPLAYABLE

    flow_run_id = parse_uuid(flow_run, "flow run") if flow_run else None

    async def read(database: Database) -> list[Any]:
        async with database.read_sessions() as session:
            return await read_deliveries(
                session,
                flow_run_id=flow_run_id,
                statuses=list(REPLAYABLE) if failed else None,
                limit=limit,
            )

    rows = run_with_database(settings, read)
    if not rows:
        click.echo("No deliveries.")
        return
    for row in rows:
        click.echo(
            f"{row.id}  {row.channel:<10} {row.status:<9} attempts={row.attempt_count:<3} "
            f"{row.created:%Y-%m-%d %H:%M:%S}  {row.last_error or ''}".rstrip()
        )


@notifications.command()
@click.argument("delivery_id", required=False)
@click.option("--all-failed", is_flag=True, help="Replay every failed or given-up delivery.")
@pass_settings
def replay(settings: Settings, delivery_id: str | None, all_failed: bool) -> None:
    """Send a failed delivery (DELIVERY_ID), or every failed one, again."""
    if bool(delivery_id) == all_failed:
        raise click.UsageError("Give a DELIVERY_ID or --all-failed, not both or neither.")
    from actors.notifications import CHANNEL_ACTORS
    from models.errors import SignalboxError
    from models.notifications.replay import reopen_delivery, reopen_failed_deliveries

    async def reopen(database: Database) -> list[QueuedDelivery]:
        async with database.sessions.begin() as session:
            if all_failed:
                return await reopen_failed_deliveries(session)
            return [await reopen_delivery(session, parse_uuid(str(delivery_id), "delivery"))]

    try:
        queued = run_with_database(settings, reopen)
    except SignalboxError as refused:
        raise click.ClickException(refused.detail) from None
    for delivery in queued:
        CHANNEL_ACTORS[delivery.channel].send(str(delivery.id))
    click.echo(f"Replaying {len(queued)} deliver{'y' if len(queued) == 1 else 'ies'}.")
