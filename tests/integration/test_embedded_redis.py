"""The embedded Redis: a generated password, 127.0.0.1 only, its files readable by its owner."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis

from cli.embedded_redis import EmbeddedRedis


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    previous = os.umask(0o022)  # the usual umask: files would be readable by everyone
    server = EmbeddedRedis(tmp_path / "redis").start()
    os.umask(previous)
    try:
        yield server
    finally:
        server.stop()


def test_the_embedded_redis_refuses_a_client_without_its_password(
    embedded: EmbeddedRedis,
) -> None:
    assert embedded.password and embedded.password in embedded.url
    assert redis.Redis.from_url(embedded.url).ping() is True
    anonymous = redis.Redis(host="127.0.0.1", port=embedded.port, protocol=2)
    with pytest.raises(redis.AuthenticationError):
        anonymous.get("signalbox:state")
    wrong = redis.Redis(host="127.0.0.1", port=embedded.port, password="guess")
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()


def test_each_start_gets_a_new_password(tmp_path: Path) -> None:
    assert EmbeddedRedis(tmp_path / "a").password != EmbeddedRedis(tmp_path / "b").password


def test_the_embedded_redis_listens_on_loopback_only(embedded: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(embedded.url)
    assert client.config_get("bind") == {"bind": "127.0.0.1"}
    assert client.config_get("protected-mode") == {"protected-mode": "yes"}
    assert embedded.process is not None
    listening = {
        connection.laddr.ip
        for connection in psutil.Process(embedded.process.pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    }
    assert listening == {"127.0.0.1"}


def test_the_password_is_not_on_the_command_line_every_user_can_read(
    embedded: EmbeddedRedis,
) -> None:
    assert embedded.process is not None
    # What Redis was started with: visible in /proc until Redis renames its process.
    assert embedded.password not in " ".join(map(str, embedded.process.args))
    listed = subprocess.run(["ps", "-eo", "args", "-ww"], capture_output=True, text=True)
    assert str(embedded.port) in listed.stdout
    assert embedded.password not in listed.stdout


def test_its_folder_aof_log_and_configuration_are_readable_by_their_owner_only(
    embedded: EmbeddedRedis,
) -> None:
    client = redis.Redis.from_url(embedded.url)
    client.set("signalbox:probe", "x")
    folder = embedded.folder
    assert mode(folder) == 0o700
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"appendonly.aof", "redis.log", "redis.conf"}
    for path in files:
        assert mode(path) == 0o600, path


def test_an_aof_left_readable_by_an_older_version_is_tightened_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    folder.mkdir(mode=0o755)
    aof = folder / "appendonly.aof"
    aof.write_text("")
    aof.chmod(0o644)
    with EmbeddedRedis(folder):
        assert mode(aof) == 0o600
        assert mode(folder) == 0o700
