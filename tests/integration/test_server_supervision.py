"""`server start` supervises its embedded Redis: killed, it is restarted on the same port and
password, reported in one line, and the messages it had acknowledged are all still there."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from uuid import uuid4

import psutil
import redis

from tests.integration.test_server_start import (
    call,
    descendants,
    embedded_redis_url,
    started,
    wait_for,
)

__all__ = ["started"]  # the fixture, used by name


def redis_process(process: subprocess.Popen[str]) -> psutil.Process:
    [child] = [child for child in descendants(process.pid) if "redis-server" in child.name()]
    return child


def test_a_killed_embedded_redis_is_restarted_and_keeps_what_it_acknowledged(
    started: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, base, log = started
    queues = redis.Redis.from_url(embedded_redis_url(log))
    flow_run_id = str(uuid4())
    # Hold SQLite's write lock: the log records stay in Redis, acknowledged but not stored.
    blocker = sqlite3.connect(Path(log.parent, "home", "signalbox.db"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    sent = 0
    try:
        for batch in range(10):
            records = [
                {"name": "load", "level": 20, "message": f"{batch}-{n}",
                 "timestamp": "2026-11-25T18:00:00Z", "flow_run_id": flow_run_id}
                for n in range(50)
            ]  # fmt: skip
            call(base, "POST", "/logs/", records)
            sent += len(records)
        killed = redis_process(process)
        killed.kill()  # SIGKILL: no chance to flush anything more
        killed.wait(timeout=10)
        line = wait_for(
            lambda: [row for row in log.read_text().splitlines() if "embedded Redis" in row
                     and "restarted" in row],
            "the supervisor to restart the embedded Redis",
        )  # fmt: skip
        assert line[0].startswith(f"embedded Redis (pid {killed.pid}) exited with code -9; ")
        assert wait_for(queues.ping, "the restarted Redis to answer on the same URL")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    def stored_all() -> bool:
        last = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 1, "offset": sent - 1}
        return call(base, "POST", "/logs/filter", last) != []

    wait_for(stored_all, f"all {sent} log records to be stored", timeout=60)
    assert redis_process(process).pid != killed.pid
    wait_for(lambda: call(base, "GET", "/ready") == {"message": "OK"}, "ready again")
