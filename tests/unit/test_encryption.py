"""The key block documents are encrypted with: generated once into the home folder, or set."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from models.blocks.encryption import (
    KEY_FILE_NAME,
    UnreadableBlockData,
    decrypt_data,
    encrypt_data,
    fernet_for,
)
from models.settings import Settings


def test_a_key_is_generated_into_the_home_folder_once_and_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home")
    token = encrypt_data(fernet_for(settings), {"url": "https://hooks.slack.com/x"})
    key_file = tmp_path / "home" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    # Another process (another Settings) reads the same key.
    assert decrypt_data(fernet_for(Settings(home=tmp_path / "home")), token) == {
        "url": "https://hooks.slack.com/x"
    }
    assert key_file.read_bytes() == key
    assert "hooks.slack.com" not in token


def test_a_configured_key_wins_and_may_be_a_passphrase(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, encryption_key=SecretStr("correct horse battery staple"))
    token = encrypt_data(fernet_for(settings), {"a": 1})
    assert decrypt_data(fernet_for(settings), token) == {"a": 1}
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_data_written_with_another_key_is_refused_clearly(tmp_path: Path) -> None:
    token = encrypt_data(fernet_for(Settings(home=tmp_path / "a")), {"a": 1})
    with pytest.raises(UnreadableBlockData, match="SIGNALBOX_ENCRYPTION_KEY"):
        decrypt_data(fernet_for(Settings(home=tmp_path / "b")), token)
