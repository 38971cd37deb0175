"""Private files: the home folder 0700; the database, its WAL, the key and Redis's files 0600."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.blocks.encryption import KEY_FILE_NAME, block_key_for
from models.private_files import create_private_sqlite_file, secure_home_folder
from models.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def careless_umask() -> Iterator[None]:
    """The usual umask, under which files are created readable by everyone."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_sqlite_database_and_its_wal_files_are_created_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    url = f"sqlite+aiosqlite:///{home / 'signalbox.db'}"
    create_private_sqlite_file(url)
    assert mode(home) == 0o700
    assert mode(home / "signalbox.db") == 0o600
    # SQLite gives the files it adds beside the database the database's mode.
    connection = sqlite3.connect(home / "signalbox.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    for name in ("signalbox.db", "signalbox.db-wal", "signalbox.db-shm"):
        assert mode(home / name) == 0o600, name
    connection.close()


def test_a_database_elsewhere_keeps_its_existing_folder_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    create_private_sqlite_file(f"sqlite:///{shared / 'signalbox.db'}")
    assert mode(shared) == 0o755  # not ours to close
    assert mode(shared / "signalbox.db") == 0o600


def test_postgresql_and_in_memory_databases_create_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    create_private_sqlite_file("postgresql+psycopg://signalbox@db/signalbox")
    create_private_sqlite_file("sqlite+aiosqlite:///:memory:")
    assert list(tmp_path.iterdir()) == []


def test_the_generated_key_and_its_home_folder_are_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    block_key_for(Settings(home=home))
    assert mode(home) == 0o700
    assert mode(home / KEY_FILE_NAME) == 0o600


def test_files_an_older_version_left_readable_are_tightened_at_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "redis").mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    readable = [home / "signalbox.db", home / "signalbox.db-wal", home / KEY_FILE_NAME,
                home / "redis" / "appendonly.aof"]  # fmt: skip
    for path in readable:
        path.write_text("x")
        path.chmod(0o644)
    elsewhere = tmp_path / "elsewhere.db"
    elsewhere.write_text("x")
    elsewhere.chmod(0o644)
    outside = tmp_path / "not-ours.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    (home / "link").symlink_to(outside)

    secure_home_folder(home, f"sqlite+aiosqlite:///{elsewhere}")

    assert mode(home) == 0o700 and mode(home / "redis") == 0o700
    for path in [*readable, elsewhere]:
        assert mode(path) == 0o600, path
    assert mode(outside) == 0o644  # a link's target is left alone
