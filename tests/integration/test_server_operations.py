"""A real `signalbox server start` as operators run it: `/metrics` adds up the counts of
every process (PROMETHEUS_MULTIPROC_DIR in the home folder, emptied at start), and every
process logs JSON lines when SIGNALBOX_LOG_FORMAT=json, the API's access log among them."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cli.embedded_redis import free_port
from tests.integration.test_server_start import (
    START_SECONDS,
    call,
    environment_without_settings,
    start_server,
    stop_server,
    wait_for,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """`server start` on a home folder holding a stale metrics file; yields the base URL,
    the home folder and the server's output."""
    home = tmp_path / "home"
    (home / "metrics").mkdir(parents=True)
    (home / "metrics" / "counter_99999.db").write_bytes(b"stale")
    port = free_port()
    env = environment_without_settings()
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env |= {
        "SIGNALBOX_HOME": str(home),
        "SIGNALBOX_API_PORT": str(port),
        "SIGNALBOX_LOG_FORMAT": "json",
    }
    log = tmp_path / "server.log"
    process = start_server(env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: call(f"{base}/api", "GET", "/ready") == {"message": "OK"},
            "ready",
            START_SECONDS,
        )
        yield base, home, log
    finally:
        stop_server(process)


def scrape(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_add_up_every_process_and_logs_are_json_lines(
    server: tuple[str, Path, Path],
) -> None:
    base, home, log = server
    flow = call(f"{base}/api", "POST", "/flows/", {"name": "metered"})
    run = call(f"{base}/api", "POST", "/flow_runs/", {"flow_id": flow["id"]})
    call(f"{base}/api", "POST", f"/flow_runs/{run['id']}/set_state", {"state": {"type": "RUNNING"}})
    succeeded = frozenset(
        {"queue": "state", "actor": "announce_flow_run_states", "outcome": "succeeded"}.items()
    )

    # Counted by a worker process, read by the API process.
    samples = wait_for(
        lambda: (
            (found := scrape(base)).get(("signalbox_actor_messages_total", succeeded)) and found
        ),
        "the state worker's count to show in /metrics",
    )
    route = {"method": "POST", "route": "/api/flows/", "status": "201"}
    assert samples[("signalbox_http_requests_total", frozenset(route.items()))] == 1
    assert (
        "signalbox_queue_messages",
        frozenset({"queue": "state", "state": "ready"}.items()),
    ) in (samples)
    assert not (home / "metrics" / "counter_99999.db").exists()  # emptied at start
    assert list((home / "metrics").glob("*.db"))

    request = urllib.request.Request(f"{base}/api/health", headers={"X-Request-ID": "op-77"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["X-Request-ID"] == "op-77"

    def access_line() -> dict[str, object] | None:
        for text in log.read_text().splitlines():
            if text.startswith("{") and '"op-77"' in text:
                line: dict[str, object] = json.loads(text)
                return line
        return None

    line = wait_for(access_line, "the access log line")
    assert line["logger"] == "signalbox.access"
    assert line["path"] == "/api/health"
    assert line["level"] == "INFO" and "time" in line
    workers = [
        json.loads(text)
        for text in log.read_text().splitlines()
        if text.startswith("{") and "worker" in json.loads(text).get("process", "")
    ]
    assert workers, "the worker processes log JSON lines too"
