"""The key block documents are encrypted with: generated once into the home folder, or set."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from models.blocks.encryption import (
    KEY_FILE_NAME,
    SCRYPT_MARKER,
    BlockKey,
    UnreadableBlockData,
    block_key_for,
    decrypt_data,
    derive_fernet_key,
    encrypt_data,
)
from models.settings import Settings


def test_a_key_is_generated_into_the_home_folder_once_and_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home")
    token = encrypt_data(block_key_for(settings), {"url": "https://hooks.slack.com/x"})
    key_file = tmp_path / "home" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    # Another process (another Settings) reads the same key.
    assert decrypt_data(block_key_for(Settings(home=tmp_path / "home")), token) == {
        "url": "https://hooks.slack.com/x"
    }
    assert key_file.read_bytes() == key
    assert "hooks.slack.com" not in token


def test_a_configured_key_wins_and_may_be_a_passphrase(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, encryption_key=SecretStr("correct horse battery staple"))
    token = encrypt_data(block_key_for(settings), {"a": 1})
    assert decrypt_data(block_key_for(settings), token) == {"a": 1}
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_data_written_with_another_key_is_refused_clearly(tmp_path: Path) -> None:
    token = encrypt_data(block_key_for(Settings(home=tmp_path / "a")), {"a": 1})
    with pytest.raises(UnreadableBlockData, match="SIGNALBOX_ENCRYPTION_KEY"):
        decrypt_data(block_key_for(Settings(home=tmp_path / "b")), token)


def test_a_passphrase_is_salted_through_scrypt_and_its_tokens_say_so() -> None:
    first, second = (
        BlockKey("correct horse battery staple"),
        BlockKey("correct horse battery staple"),
    )
    token = first.encrypt(b"secret data")
    assert token.startswith(SCRYPT_MARKER)
    salt, _, fernet_token = token.removeprefix(SCRYPT_MARKER).partition("$")
    # Another process draws another salt, and reads the first one's tokens.
    assert second.encrypt(b"x").split("$")[1] != salt
    assert second.decrypt(token) == b"secret data"
    # The key is scrypt's, not the passphrase's bare SHA-256.
    bare = Fernet(
        base64.urlsafe_b64encode(hashlib.sha256(b"correct horse battery staple").digest())
    )
    with pytest.raises(InvalidToken):
        bare.decrypt(fernet_token.encode())
    derived = Fernet(
        derive_fernet_key("correct horse battery staple", base64.urlsafe_b64decode(salt))
    )
    assert derived.decrypt(fernet_token.encode()) == b"secret data"


def test_documents_written_before_the_key_derivation_are_still_read() -> None:
    bare = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"my passphrase").digest()))
    old_token = bare.encrypt(json.dumps({"url": "https://x"}).encode()).decode()
    assert decrypt_data(BlockKey("my passphrase"), old_token) == {"url": "https://x"}


def test_a_fernet_key_writes_plain_fernet_tokens() -> None:
    key = Fernet.generate_key()
    token = BlockKey(key.decode()).encrypt(b"data")
    assert not token.startswith(SCRYPT_MARKER)
    assert Fernet(key).decrypt(token.encode()) == b"data"
    with pytest.raises(UnreadableBlockData):
        BlockKey(key.decode()).decrypt(BlockKey("a passphrase").encrypt(b"data"))


def test_many_documents_of_one_salt_cost_one_derivation() -> None:
    writer, reader = BlockKey("passphrase"), BlockKey("passphrase")
    for token in [writer.encrypt(str(n).encode()) for n in range(20)]:
        reader.decrypt(token)
    assert len(reader.derived) == 1


def test_another_passphrase_cannot_read_and_the_key_never_shows() -> None:
    token = BlockKey("one passphrase").encrypt(b"data")
    with pytest.raises(UnreadableBlockData, match="SIGNALBOX_ENCRYPTION_KEY"):
        BlockKey("another passphrase").decrypt(token)
    assert "one passphrase" not in repr(BlockKey("one passphrase"))
