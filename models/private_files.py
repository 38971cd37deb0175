"""Files only their owner may read: the home folder, the database, the key, Redis's data.

The home folder holds everything an attacker on the same machine would want: the SQLite
database (block documents, encrypted), the key that decrypts them, and Redis's AOF (every
queued message, and the embedded Redis's password in the server files). Folders are made
0700 and files 0600 when Signalbox creates them; `secure_home_folder` tightens what an
older version left readable to others.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

#: Mode of the folders Signalbox creates: the owner only.
PRIVATE_FOLDER_MODE: Final = 0o700
#: Mode of the files Signalbox creates: the owner reads and writes, nobody else.
PRIVATE_FILE_MODE: Final = 0o600
#: What SQLite keeps beside a database file while it is open (WAL mode).
SQLITE_COMPANIONS: Final = ("-wal", "-shm", "-journal")


def make_private_folder(folder: Path) -> Path:
    """Create `folder` (and its parents) readable by its owner only; an existing one is
    tightened too."""
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    folder.chmod(PRIVATE_FOLDER_MODE)
    return folder


def create_private_file(path: Path) -> None:
    """Make sure `path` exists with mode 0600, creating it empty if needed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    os.close(descriptor)
    path.chmod(PRIVATE_FILE_MODE)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path`, which nobody but its owner can read at any moment."""
    create_private_file(path)
    path.write_text(text)


def tighten_files(paths: list[Path]) -> None:
    """Set mode 0600 on each of `paths` that exists."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            if path.is_file():
                path.chmod(PRIVATE_FILE_MODE)


def sqlite_files(database_url: str) -> list[Path]:
    """The SQLite database file of the URL and its companions; none for PostgreSQL."""
    from sqlalchemy.engine import make_url  # not at import: `server start` keeps no SQLAlchemy

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in {None, "", ":memory:"}:
        return []
    if "uri" in url.query:  # sqlite:///file:name?uri=true: SQLite reads the name itself
        return []
    assert url.database is not None
    database = Path(url.database).expanduser()
    return [database, *(database.with_name(database.name + end) for end in SQLITE_COMPANIONS)]


def create_private_sqlite_file(database_url: str) -> None:
    """Create the SQLite database file 0600 before SQLite does (it would make it 0644).

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    """
    files = sqlite_files(database_url)
    if not files:
        return
    database, *companions = files
    if not database.parent.exists():
        make_private_folder(database.parent)
    create_private_file(database)
    tighten_files(companions)


def secure_folder(folder: Path) -> None:
    """Make `folder` and every folder in it 0700, and every file in it 0600."""
    make_private_folder(folder)
    for path in folder.rglob("*"):
        if path.is_symlink():  # its target may be anyone's file, anywhere
            continue
        with contextlib.suppress(FileNotFoundError):  # a file may go while we walk
            path.chmod(PRIVATE_FOLDER_MODE if path.is_dir() else PRIVATE_FILE_MODE)


def secure_home_folder(home: Path, database_url: str) -> None:
    """Make the home folder private, everything in it, and the SQLite database wherever it is.

    Called when the server starts: what an earlier version created readable by others, or
    a file copied in with a careless mode, is closed again.
    """
    secure_folder(home)
    tighten_files(sqlite_files(database_url))
