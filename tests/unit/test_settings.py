"""Settings: defaults that work on one machine, environment overrides, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import signalbox
from models.settings import Settings


def test_the_default_database_is_sqlite_in_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIGNALBOX_REDIS_URL")  # the suite points it at the test Redis
    settings = Settings(home=tmp_path)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'signalbox.db'}"
    assert settings.redis_url is None
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 4200)


def test_environment_variables_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALBOX_API_PORT", "4300")
    monkeypatch.setenv("SIGNALBOX_HOME", "/srv/signalbox")
    settings = Settings()
    assert settings.api_port == 4300
    assert settings.database_url == "sqlite+aiosqlite:////srv/signalbox/signalbox.db"


def test_signalbox_config_masks_passwords_and_secrets(tmp_path: Path) -> None:
    env = {
        "SIGNALBOX_HOME": str(tmp_path),
        "SIGNALBOX_DATABASE_URL": "postgresql+psycopg://signalbox:hunter2@db:5432/signalbox",
        "SIGNALBOX_REDIS_URL": "redis://:s3cret@redis:6379/0",
        "SIGNALBOX_ENCRYPTION_KEY": "very-secret-key",
    }
    result = CliRunner().invoke(signalbox, ["config"], env=env)
    assert result.exit_code == 0
    assert "postgresql+psycopg://signalbox:***@db:5432/signalbox" in result.output
    assert "redis://:***@redis:6379/0" in result.output
    assert "SIGNALBOX_ENCRYPTION_KEY" in result.output
    for secret in ("hunter2", "s3cret", "very-secret-key"):
        assert secret not in result.output
