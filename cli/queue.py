"""`signalbox queue`: look at the queues, list and replay dead letters, purge a queue."""

from __future__ import annotations

import asyncio
from uuid import UUID

import click

from cli.pools import QUEUES, PoolOrQueueName
from cli.server_files import use_server_redis
from cli.tables import format_table
from models.settings import Settings

pass_settings = click.make_pass_decorator(Settings, ensure=True)

#: A queue's name, `notify.slack` or the Procfile's spelling `notify_slack`.
QUEUE_NAME = PoolOrQueueName(QUEUES)
#: Columns of `queue stats`, and of the queue depths in `server status`.
QUEUE_COLUMNS = ("queue", "ready", "delayed", "in-flight", "dead")
DEAD_LETTER_COLUMNS = ("id", "queue", "actor", "last failed", "failures", "replays", "reason")
#: Characters of a dead letter's reason (its first line) shown in the table.
REASON_WIDTH = 80


@click.group()
def queue() -> None:
    """Inspect and administer the Redis queues."""


@queue.command()
@click.option("--queue", "queue_name", type=QUEUE_NAME, help="Only this queue.")
@pass_settings
def stats(settings: Settings, queue_name: str | None) -> None:
    """Depth, delayed, in-flight and dead messages per queue, Redis's memory against the
    queue high-water mark, and live worker processes."""
    use_server_redis(settings)
    from actors.high_water import describe_high_water
    from actors.queue_admin import (
        known_queues,
        live_worker_processes,
        queue_stats,
        read_redis_memory,
    )

    rows = [queue_stats(name) for name in ([queue_name] if queue_name else known_queues())]
    table = [(row.queue, row.ready, row.delayed, row.in_flight, row.dead) for row in rows]
    for line in format_table(QUEUE_COLUMNS, table, right=QUEUE_COLUMNS[1:]):
        click.echo(line)
    click.echo(describe_high_water(settings.queue_high_water_mb, read_redis_memory()))
    alive = live_worker_processes()
    click.echo(f"worker processes alive: {len(alive)}")
    for process in alive:
        click.echo(f"  pid {process.pid} on {process.host}: {', '.join(process.queues)}")


@queue.command(name="dead-letters")
@click.option("--queue", "queue_name", type=QUEUE_NAME, help="Only this queue.")
@click.option("--limit", default=50, show_default=True)
@pass_settings
def dead_letters(settings: Settings, queue_name: str | None, limit: int) -> None:
    """Messages that failed for good, newest first, with the reason."""
    from models.db.database import with_read_session
    from models.messages.dead_letters import list_dead_letters

    letters = asyncio.run(
        with_read_session(
            settings, lambda session: list_dead_letters(session, queue_name=queue_name, limit=limit)
        )
    )
    if not letters:
        click.echo("No dead letters.")
        return
    rows = [
        (
            letter.id,
            letter.queue_name,
            letter.actor_name,
            letter.last_failed.isoformat(timespec="seconds"),
            letter.failure_count,
            letter.replay_count,
            (letter.reason.splitlines() or [""])[0][:REASON_WIDTH],
        )
        for letter in letters
    ]
    for line in format_table(DEAD_LETTER_COLUMNS, rows, right=("failures", "replays")):
        click.echo(line)


@queue.command()
@click.argument("dead_letter_id", required=False)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@click.option("--queue", "queue_name", type=QUEUE_NAME, help="With --all: only this queue's.")
@pass_settings
def replay(
    settings: Settings, dead_letter_id: str | None, replay_all: bool, queue_name: str | None
) -> None:
    """Send a dead letter (or all of them) to its queue again, with fresh retries."""
    use_server_redis(settings)
    from actors.queue_admin import replay_dead_letters
    from models.db.database import with_database
    from models.errors import ObjectNotFound

    if bool(dead_letter_id) == replay_all:
        raise click.UsageError("Give one dead-letter id, or --all.")
    try:
        replayed_id = None if replay_all else UUID(str(dead_letter_id))
    except ValueError:
        raise click.ClickException(f"No dead letter {dead_letter_id}.") from None
    try:
        replayed = asyncio.run(
            with_database(
                settings,
                lambda database: replay_dead_letters(database, replayed_id, queue_name=queue_name),
            )
        )
    except ObjectNotFound:
        raise click.ClickException(f"No dead letter {dead_letter_id}.") from None
    for letter in replayed:
        click.echo(
            f"Replayed {letter.dead_letter_id} -> {letter.queue_name} as {letter.message_id}"
        )
    click.echo(f"{len(replayed)} dead letter(s) replayed.")


@queue.command(name="purge")
@click.argument("queue_name", type=QUEUE_NAME)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_settings
def purge_queue(settings: Settings, queue_name: str, yes: bool) -> None:
    """Drop every waiting, delayed and dead message of QUEUE."""
    use_server_redis(settings)
    from actors.queue_admin import purge

    if not yes and not click.confirm(f"Drop every message of {queue_name}?", default=False):
        click.echo("Purge aborted.", err=True)
        raise click.exceptions.Exit(1)
    purge(queue_name)
    click.echo(f"Queue {queue_name} purged.")
