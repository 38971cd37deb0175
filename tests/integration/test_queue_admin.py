"""The queue CLI and the clock, against the suite's Redis and database."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import dramatiq
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from actors.broker import HEARTBEAT_TIMEOUT_MS, broker
from actors.channels.registry import CHANNELS
from actors.clock import claim_tick
from actors.ingest import persist_logs
from actors.queue_admin import WorkerProcess, live_worker_processes
from actors.services import detect_crashed_flow_runs
from actors.worker_registry import worker_processes_key
from cli.main import signalbox
from models.db.database import Database
from models.messages.dead_letters import DeadLetter, record_dead_letter
from models.notifications.channels import ChannelName
from models.runs.logs import Log
from models.settings import Settings
from tests.running import Drain


def run_cli(settings: Settings, *args: str, input: str | None = None):
    env = {
        "SIGNALBOX_DATABASE_URL": settings.database_url,
        "SIGNALBOX_HOME": str(settings.home),
        "SIGNALBOX_REDIS_URL": settings.redis_url or "",
    }
    return CliRunner().invoke(signalbox, list(args), env=env, input=input)


async def test_a_dead_letter_is_listed_and_its_replay_is_processed(
    database: Database, settings: Settings, drain: Drain
) -> None:
    log_id = str(uuid.uuid4())
    message = persist_logs.message(
        [{"id": log_id, "name": "x", "level": 20, "message": "came back",
          "timestamp": "2026-11-25T18:00:00Z"}]
    )  # fmt: skip
    async with database.sessions.begin() as session:  # as if its retries had run out
        await record_dead_letter(
            session, message_id=message.message_id, queue_name="ingest",
            actor_name="persist_logs", message=message.asdict(), reason="OperationalError: gone",
        )  # fmt: skip
    async with database.read_sessions() as session:
        letter = await session.scalar(select(DeadLetter))
    assert letter is not None

    # The CLI runs its own event loop: give it a thread.
    listed = await asyncio.to_thread(
        run_cli, settings, "queue", "dead-letters", "--queue", "ingest"
    )
    assert listed.exit_code == 0 and str(letter.id) in listed.output
    assert "OperationalError: gone" in listed.output

    replayed = await asyncio.to_thread(run_cli, settings, "queue", "replay", str(letter.id))
    assert replayed.exit_code == 0, replayed.output
    await drain()
    async with database.read_sessions() as session:
        stored = await session.get(Log, uuid.UUID(log_id))
        letter = await session.get(DeadLetter, letter.id)
    assert stored is not None and stored.message == "came back"
    assert letter is not None and letter.replay_count == 1 and letter.replayed_at is not None


def test_replaying_an_unknown_dead_letter_says_so_and_exits_1(
    database: Database, settings: Settings
) -> None:
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        result = run_cli(settings, "queue", "replay", unknown)
        assert result.exit_code == 1 and f"No dead letter {unknown}." in result.output
    neither = run_cli(settings, "queue", "replay")
    assert neither.exit_code == 2 and "Give one dead-letter id, or --all." in neither.output


def test_stats_show_waiting_messages_and_purge_drops_them(settings: Settings) -> None:
    broker.flush_all()
    for _ in range(3):
        detect_crashed_flow_runs.send()
    stats = run_cli(settings, "queue", "stats")
    assert stats.exit_code == 0
    [line] = [line for line in stats.output.splitlines() if line.startswith("services ")]
    assert line.split()[1] == "3"

    assert run_cli(settings, "queue", "purge", "services", input="n\n").exit_code == 1
    assert broker.client.llen("signalbox:services") == 3
    assert run_cli(settings, "queue", "purge", "services", "-y").exit_code == 0
    assert broker.client.llen("signalbox:services") == 0


def test_a_channel_queue_is_named_by_its_pool_name_or_its_procfile_spelling(
    settings: Settings,
) -> None:
    broker.flush_all()
    slack = CHANNELS[ChannelName.SLACK].actor
    for spelling in ("notify.slack", "notify_slack"):
        for _ in range(2):
            slack.send(str(uuid.uuid4()))
        stats = run_cli(settings, "queue", "stats", "--queue", spelling)
        assert stats.exit_code == 0, stats.output
        [line] = [line for line in stats.output.splitlines() if line.startswith("notify.")]
        assert line.split()[:2] == ["notify.slack", "2"]
        letters = run_cli(settings, "queue", "dead-letters", "--queue", spelling)
        assert letters.exit_code == 0 and "No dead letters." in letters.output

        purged = run_cli(settings, "queue", "purge", spelling, "-y")
        assert purged.exit_code == 0, purged.output
        assert "Queue notify.slack purged." in purged.output
        assert broker.client.llen("signalbox:notify.slack") == 0

    unknown = run_cli(settings, "queue", "purge", "notify_nowhere", "-y")
    assert unknown.exit_code != 0 and "notify.slack" in unknown.output


def test_two_clocks_send_a_periodic_message_once_per_period(tmp_path: Path) -> None:
    broker.client.delete(f"{broker.namespace}:clock:detect_crashed_flow_runs")
    period = timedelta(seconds=30)
    claims = []
    barrier = threading.Barrier(2)

    def tick(clock_id: str) -> None:
        barrier.wait()
        claims.append(claim_tick(detect_crashed_flow_runs, period, clock_id))

    clocks = [threading.Thread(target=tick, args=(f"clock-{n}",)) for n in range(2)]
    for clock in clocks:
        clock.start()
    for clock in clocks:
        clock.join()
    assert sorted(claims) == [False, True]


def test_live_worker_processes_are_those_consuming_queues_not_those_only_sending(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNALBOX_DATABASE_URL", settings.database_url)  # read at worker boot
    monkeypatch.setenv("SIGNALBOX_HOME", str(settings.home))
    broker.flush_all()
    key = worker_processes_key(broker)
    broker.client.delete(key)
    # What a sender (an API process, a CLI replaying a dead letter) leaves: a Dramatiq
    # heartbeat, which is no worker process.
    broker.client.zadd("signalbox:__heartbeats__", {str(uuid.uuid4()): int(time.time() * 1000)})
    # A worker process killed long ago, without a chance to remove itself.
    killed = json.dumps({"host": "gone", "pid": 1, "queues": ["state"]})
    broker.client.zadd(key, {killed: int(time.time() * 1000) - HEARTBEAT_TIMEOUT_MS - 1000})

    worker = dramatiq.Worker(broker, queues={"services", "ingest"}, worker_timeout=50)
    worker.start()
    try:
        assert live_worker_processes() == [
            WorkerProcess(socket.gethostname(), os.getpid(), ("ingest", "services"))
        ]
        assert broker.client.zscore(key, killed) is None  # forgotten
        stats = run_cli(settings, "queue", "stats")
        assert stats.exit_code == 0, stats.output
        assert "worker processes alive: 1" in stats.output
        assert f"pid {os.getpid()} on {socket.gethostname()}: ingest, services" in stats.output
    finally:
        worker.stop()
    assert live_worker_processes() == []  # a stopped worker removes itself at once


async def test_dead_letters_are_a_table_with_column_headers(
    database: Database, settings: Settings
) -> None:
    message = persist_logs.message([])
    async with database.sessions.begin() as session:
        await record_dead_letter(
            session, message_id=message.message_id, queue_name="ingest",
            actor_name="persist_logs", message=message.asdict(),
            reason="IntegrityError: refused\nTraceback (most recent call last): ...",
        )  # fmt: skip
    listed = await asyncio.to_thread(run_cli, settings, "queue", "dead-letters")
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()
    assert header.split() == ["id", "queue", "actor", "last", "failed", "failures", "replays",
                              "reason"]  # fmt: skip
    assert row.split()[1:3] == ["ingest", "persist_logs"]
    assert row.endswith("IntegrityError: refused")
    assert header.index("queue") == row.index("ingest")  # each value under its header
