"""The key block documents are encrypted with at rest, and encrypting with it.

The key is `Settings.encryption_key` when given, otherwise a Fernet key generated into the
home folder the first time anything needs it. Every process that reads block documents (the
API, the channel worker pools, the CLI) must see the same key: the same home folder, or the
same SIGNALBOX_ENCRYPTION_KEY.

A key is a Fernet key, or any other text: a passphrase. A Fernet key encrypts as it is, and
its tokens are plain Fernet tokens. A passphrase becomes a Fernet key through scrypt with a
random salt, and its tokens say so: `scrypt1$<salt>$<Fernet token>`. Each process draws one
salt and derives once, and remembers the keys of the salts it has read, so scrypt's cost is
paid once per salt, not per document. Tokens without the marker under a passphrase were
written before the key-derivation function: they are read with the passphrase's SHA-256,
as they were written, and `signalbox database rotate-key` rewrites them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from models.private_files import make_private_folder
from models.settings import Settings

#: The generated key's file, under the home folder; readable by its owner only.
KEY_FILE_NAME: Final = "encryption.key"
#: The start of a token encrypted with a key derived from a passphrase.
SCRYPT_MARKER: Final = "scrypt1$"
#: Bytes of salt drawn for a passphrase.
SALT_BYTES: Final = 16
#: scrypt's cost: 2**15 x 8 x 128 bytes = 32 MiB and some 100 ms per derivation.
SCRYPT_N: Final = 2**15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
#: Salts whose derived keys a BlockKey remembers (one per process that wrote documents).
MAX_DERIVED_KEYS: Final = 1024


class UnreadableBlockData(Exception):
    """Block data that the current key cannot decrypt (the key changed since it was written)."""


def is_fernet_key(text: str) -> bool:
    try:
        Fernet(text.encode())
    except (ValueError, binascii.Error):
        return False
    return True


def derive_fernet_key(passphrase: str, salt: bytes) -> bytes:
    """The Fernet key scrypt derives from a passphrase and a salt."""
    kdf = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode()))


class BlockKey:
    """The key of block documents: encrypts data into tokens and reads them back.

    Safe to share between threads; its repr never shows the key.
    """

    def __init__(self, text: str) -> None:
        if is_fernet_key(text):
            self.passphrase: str | None = None
            self.direct = Fernet(text.encode())
        else:
            self.passphrase = text
            # Documents written before the key-derivation function used this key.
            self.direct = Fernet(base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()))
        self.salt = os.urandom(SALT_BYTES)
        self.derived: dict[bytes, Fernet] = {}
        self.deriving = threading.Lock()

    def __repr__(self) -> str:
        kind = "Fernet key" if self.passphrase is None else "passphrase"
        return f"BlockKey(<{kind}>)"

    def derived_fernet(self, salt: bytes) -> Fernet:
        assert self.passphrase is not None
        with self.deriving:
            fernet = self.derived.get(salt)
            if fernet is None:
                if len(self.derived) >= MAX_DERIVED_KEYS:
                    self.derived.clear()
                fernet = Fernet(derive_fernet_key(self.passphrase, salt))
                self.derived[salt] = fernet
            return fernet

    def encrypt(self, plaintext: bytes) -> str:
        if self.passphrase is None:
            return self.direct.encrypt(plaintext).decode()
        token = self.derived_fernet(self.salt).encrypt(plaintext).decode()
        salt = base64.urlsafe_b64encode(self.salt).decode()
        return f"{SCRYPT_MARKER}{salt}${token}"

    def decrypt(self, token: str) -> bytes:
        """The plaintext of a token; raises UnreadableBlockData."""
        try:
            if token.startswith(SCRYPT_MARKER):
                if self.passphrase is None:
                    raise InvalidToken  # written under a passphrase, read with a Fernet key
                salt, _, fernet_token = token.removeprefix(SCRYPT_MARKER).partition("$")
                fernet = self.derived_fernet(base64.urlsafe_b64decode(salt))
                return fernet.decrypt(fernet_token.encode())
            return self.direct.decrypt(token.encode())
        except (InvalidToken, ValueError, binascii.Error):
            raise UnreadableBlockData(
                "Block data cannot be decrypted with this key; was SIGNALBOX_ENCRYPTION_KEY "
                "or the home folder changed?"
            ) from None


@functools.lru_cache(maxsize=16)
def block_key(text: str) -> BlockKey:
    """The BlockKey of a key's text, one per process: its salt and derived keys are reused."""
    return BlockKey(text)


def block_key_for(settings: Settings) -> BlockKey:
    """The key configured, or the home folder's (generated on first use)."""
    if settings.encryption_key is not None:
        return block_key(settings.encryption_key.get_secret_value())
    return block_key(home_folder_key(settings.home).decode())


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


def encrypt_data(key: BlockKey, data: dict[str, Any]) -> str:
    """A block document's data as a token."""
    return key.encrypt(json.dumps(data).encode())


def decrypt_data(key: BlockKey, token: str) -> dict[str, Any]:
    """A block document's data from its token; raises UnreadableBlockData."""
    data = json.loads(key.decrypt(token))
    return data if isinstance(data, dict) else {}


def stage_home_folder_key(home: Path, text: str) -> Path:
    """Write a new key for the home folder beside the current one (0600); returns its path,
    for `install_home_folder_key` once the documents are re-encrypted under it."""
    make_private_folder(home)
    staged = home / f".{KEY_FILE_NAME}.new"
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    return staged


def install_home_folder_key(home: Path, staged: Path) -> None:
    """Make a staged key the home folder's key, atomically."""
    os.replace(staged, home / KEY_FILE_NAME)
