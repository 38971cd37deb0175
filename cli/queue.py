"""`signalbox queue`: look at the queues, list and replay dead letters, purge a queue."""

from __future__ import annotations

import asyncio
from uuid import UUID

import click

from cli.pools import QUEUES, PoolOrQueueName
from models.settings import Settings

pass_settings = click.make_pass_decorator(Settings, ensure=True)

#: A queue's name, `notify.slack` or the Procfile's spelling `notify_slack`.
QUEUE_NAME = PoolOrQueueName(QUEUES)


@click.group()
def queue() -> None:
    """Inspect and administer the Redis queues."""


@queue.command()
@click.option("--queue", "queue_name", type=QUEUE_NAME, help="Only this queue.")
def stats(queue_name: str | None) -> None:
    """Depth, delayed, in-flight and dead messages per queue, and live worker processes."""
    from actors.queue_admin import known_queues, live_worker_processes, queue_stats

    rows = [queue_stats(name) for name in ([queue_name] if queue_name else known_queues())]
    width = max(len(row.queue) for row in rows)
    click.echo(f"{'queue':<{width}}  {'ready':>7} {'delayed':>7} {'in-flight':>9} {'dead':>6}")
    for row in rows:
        click.echo(
            f"{row.queue:<{width}}  {row.ready:>7} {row.delayed:>7} {row.in_flight:>9} "
            f"{row.dead:>6}"
        )
    click.echo(f"worker processes alive: {live_worker_processes()}")


@queue.command(name="dead-letters")
@click.option("--queue", "queue_name", type=QUEUE_NAME, help="Only this queue.")
@click.option("--limit", default=50, show_default=True)
@pass_settings
def dead_letters(settings: Settings, queue_name: str | None, limit: int) -> None:
    """Messages that failed for good, newest first, with the reason."""
    from models.db.database import open_database
    from models.messages.dead_letters import list_dead_letters

    async def read() -> list[tuple[str, ...]]:
        database = open_database(settings)
        try:
            async with database.read_sessions() as session:
                letters = await list_dead_letters(session, queue_name=queue_name, limit=limit)
        finally:
            await database.dispose()
        return [
            (str(letter.id), letter.queue_name, letter.actor_name,
             letter.last_failed.isoformat(timespec="seconds"), str(letter.failure_count),
             str(letter.replay_count), letter.reason.splitlines()[0][:120])
            for letter in letters
        ]  # fmt: skip

    rows = asyncio.run(read())
    if not rows:
        click.echo("No dead letters.")
    for row in rows:
        click.echo("  ".join(row[:6]) + f"\n    {row[6]}")


@queue.command()
@click.argument("dead_letter_id", required=False)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@click.option("--queue", "queue_name", type=QUEUE_NAME, help="With --all: only this queue's.")
@pass_settings
def replay(
    settings: Settings, dead_letter_id: str | None, replay_all: bool, queue_name: str | None
) -> None:
    """Send a dead letter (or all of them) to its queue again, with fresh retries."""
    from actors.queue_admin import resend
    from models.db.database import open_database
    from models.messages.dead_letters import DeadLetter, list_dead_letters, mark_replayed

    if bool(dead_letter_id) == replay_all:
        raise click.UsageError("Give one dead-letter id, or --all.")

    async def run() -> list[str]:
        database = open_database(settings)
        try:
            async with database.sessions.begin() as session:
                if replay_all:
                    letters = await list_dead_letters(session, queue_name=queue_name, limit=10_000)
                else:
                    try:
                        letter = await session.get(DeadLetter, UUID(str(dead_letter_id)))
                    except ValueError:
                        letter = None
                    if letter is None:
                        raise click.ClickException(f"No dead letter {dead_letter_id}.")
                    letters = [letter]
                sent = []
                for letter in letters:
                    sent.append(f"{letter.id} -> {letter.queue_name} as {resend(letter.message)}")
                    await mark_replayed(session, letter)
                return sent
        finally:
            await database.dispose()

    lines = asyncio.run(run())
    for line in lines:
        click.echo(f"Replayed {line}")
    click.echo(f"{len(lines)} dead letter(s) replayed.")


@queue.command(name="purge")
@click.argument("queue_name", type=QUEUE_NAME)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_queue(queue_name: str, yes: bool) -> None:
    """Drop every waiting, delayed and dead message of QUEUE."""
    from actors.queue_admin import purge

    if not yes and not click.confirm(f"Drop every message of {queue_name}?", default=False):
        click.echo("Purge aborted.", err=True)
        raise click.exceptions.Exit(1)
    purge(queue_name)
    click.echo(f"Queue {queue_name} purged.")
