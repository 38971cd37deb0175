"""docker-compose's health checks and its one home folder: every process is checked for what
it does (the API over HTTP, a pool by its live worker process, the clock by its ticks), and
every Signalbox service shares the home folder that holds the one encryption key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import dramatiq
import pytest

from tests.conftest import TEST_REDIS_URL
from tests.integration.test_deployment_files import compose


def signalbox_services() -> dict[str, dict]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("command", [""])[0] == "signalbox" and name != "migrate"
    }


def test_every_signalbox_service_shares_one_home_folder_and_so_one_encryption_key() -> None:
    mounts = {name: service.get("volumes") for name, service in signalbox_services().items()}
    assert set(map(str, mounts.values())) == {"['signalbox-home:/var/lib/signalbox']"}, mounts
    assert "signalbox-home" in compose()["volumes"]


def test_each_kind_of_process_has_its_own_health_check() -> None:
    for name, service in signalbox_services().items():
        test = service["healthcheck"]["test"]
        command = service["command"]
        if name == "web":
            assert "/api/ready" in " ".join(test)
        elif command[1] == "worker":
            assert test == ["CMD", *command, "--check"], name
        else:
            assert test == ["CMD", "signalbox", "server", "clock", "--check"], name


def check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALBOX_")}
    env["SIGNALBOX_REDIS_URL"] = TEST_REDIS_URL
    return subprocess.run(
        [sys.executable, "-m", "cli", *args, "--check"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_pool_is_healthy_while_a_worker_process_of_this_host_consumes_it() -> None:
    from actors.broker import broker

    host = socket.gethostname()
    refused = check("worker", "--pool", "ingest")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        f"Error: no live worker process on {host} consumes ingest"
    )
    worker = dramatiq.Worker(broker, queues={"ingest"}, worker_threads=1, worker_timeout=50)
    worker.start()  # it records itself in Redis as it boots
    try:
        assert check("worker", "--pool", "ingest").returncode == 0
        assert check("worker", "--pool", "state").returncode == 1
    finally:
        worker.stop()


@pytest.fixture
def clock_keys() -> None:
    from actors.broker import broker

    for key in broker.client.scan_iter(match=f"{broker.namespace}:clock:*"):
        broker.client.delete(key)


def test_the_clock_is_healthy_once_it_has_claimed_a_periodic_service(clock_keys: None) -> None:
    import threading

    from actors.broker import broker
    from actors.clock import run_clock

    refused = check("server", "clock")
    assert refused.returncode == 1
    assert "has claimed a periodic service lately" in refused.stderr.splitlines()[-1]
    stopping = threading.Event()
    ticking = threading.Thread(target=run_clock, args=(stopping,))
    ticking.start()
    try:
        deadline = time.monotonic() + 20
        while not list(broker.client.scan_iter(match=f"{broker.namespace}:clock:*")):
            assert time.monotonic() < deadline, "the clock claimed nothing"
            time.sleep(0.1)  # polling the clock's first tick, with a deadline
        assert check("server", "clock").returncode == 0
    finally:
        stopping.set()
        ticking.join()
        for key in broker.client.scan_iter(match=f"{broker.namespace}:clock:*"):
            broker.client.delete(key)
