"""The key block documents are encrypted with at rest, and encrypting with it.

The key is `Settings.encryption_key` when given, otherwise a Fernet key generated into the
home folder the first time anything needs it. Every process that reads block documents (the
API, the channel worker pools, the CLI) must see the same key: the same home folder, or the
same SIGNALBOX_ENCRYPTION_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken

from models.private_files import make_private_folder
from models.settings import Settings

#: The generated key's file, under the home folder; readable by its owner only.
KEY_FILE_NAME: Final = "encryption.key"


class UnreadableBlockData(Exception):
    """Block data that the current key cannot decrypt (the key changed since it was written)."""


def fernet_for(settings: Settings) -> Fernet:
    """The Fernet of the configured key, or of the home folder's (generated on first use)."""
    if settings.encryption_key is not None:
        return Fernet(as_fernet_key(settings.encryption_key.get_secret_value()))
    return Fernet(home_folder_key(settings.home))


def as_fernet_key(configured: str) -> bytes:
    """A configured key as Fernet wants it: a Fernet key as is, any other text hashed into one."""
    try:
        Fernet(configured.encode())
        return configured.encode()
    except ValueError:
        # Operators write passphrases too; derive a stable 32-byte key from one.
        return base64.urlsafe_b64encode(hashlib.sha256(configured.encode()).digest())


def home_folder_key(home: Path) -> bytes:
    """The key in `home`, written there first if there is none.

    Safe when several processes start at once on a fresh home folder: each writes its own
    candidate to a private file and links it into place, and every loser of the race reads
    the winner's key; nobody ever reads a half-written file.
    """
    path = home / KEY_FILE_NAME
    if path.exists():
        return path.read_bytes().strip()
    make_private_folder(home)
    candidate = home / f".{KEY_FILE_NAME}.{os.getpid()}"
    descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(Fernet.generate_key())
    try:
        os.link(candidate, path)  # atomic, and fails if another process got there first
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    return path.read_bytes().strip()


def encrypt_data(fernet: Fernet, data: dict[str, Any]) -> str:
    """A block document's data as a Fernet token."""
    return fernet.encrypt(json.dumps(data).encode()).decode()


def decrypt_data(fernet: Fernet, token: str) -> dict[str, Any]:
    """A block document's data from its Fernet token; raises UnreadableBlockData."""
    try:
        data = json.loads(fernet.decrypt(token.encode()))
    except InvalidToken:
        raise UnreadableBlockData(
            "Block data cannot be decrypted with this key; was SIGNALBOX_ENCRYPTION_KEY "
            "or the home folder changed?"
        ) from None
    return data if isinstance(data, dict) else {}
