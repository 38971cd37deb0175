"""Settings: defaults that work on one machine, environment overrides, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import signalbox
from models.settings import Settings, mask_url_password


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


def test_notification_links_open_this_server_unless_the_ui_is_elsewhere() -> None:
    assert Settings(api_host="10.0.0.8", api_port=4300).ui_url == "http://10.0.0.8:4300"
    elsewhere = Settings(api_port=4300, ui_url="https://ui.example")
    assert elsewhere.ui_url == "https://ui.example"


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


@pytest.mark.parametrize(
    ("url", "shown", "secret"),
    [
        ("postgresql+psycopg://sb:p@ss@word@db:5432/sb", "postgresql+psycopg://sb:***@db:5432/sb",
         "ss@word"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0", "s3cret"),
        ("postgresql+psycopg://db/sb?user=sb&password=hunter2",
         "postgresql+psycopg://db/sb?user=sb&password=***", "hunter2"),
        ("https://gateway.example/v1?region=eu&token=t0ps3cret",
         "https://gateway.example/v1?region=eu&token=***", "t0ps3cret"),
        ("https://gateway.example/?api_key=k3y&sig=abc",
         "https://gateway.example/?api_key=***&sig=***", "k3y"),
        ("https://gh_0123456789abcdef@gateway.example/api", "https://***@gateway.example/api",
         "gh_0123456789abcdef"),
        ("https://discord.example/api/webhooks/1234/AbCdEf0123456789GhIjKl",
         "https://discord.example/api/webhooks/1234/***", "AbCdEf0123456789GhIjKl"),
    ],
)  # fmt: skip
def test_a_url_shows_no_secret(url: str, shown: str, secret: str) -> None:
    assert mask_url_password(url) == shown
    assert secret not in mask_url_password(url)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:////srv/signalbox/signalbox.db",
        "postgresql+psycopg://signalbox@db:5432/signalbox?sslmode=require",
        "http://127.0.0.1:4200/api",
        "https://api.pagerduty.com",
    ],
)
def test_a_url_without_secrets_is_shown_as_it_is(url: str) -> None:
    assert mask_url_password(url) == url


def test_signalbox_config_shows_no_secret_from_any_url(tmp_path: Path) -> None:
    env = {
        "SIGNALBOX_HOME": str(tmp_path),
        "SIGNALBOX_DATABASE_URL": "postgresql+psycopg://sb:pa@ss@db:5432/sb?sslpassword=k3yp4ss",
        "SIGNALBOX_REDIS_URL": "redis://:r3dis@redis:6379/0?password=again",
        "SIGNALBOX_DISCORD_BASE_URL": "https://t0ken0123456789@discord.example/",
        "SIGNALBOX_OPSGENIE_BASE_URL": "https://opsgenie.example/?token=tok3n",
        "SIGNALBOX_UI_URL": "https://ui.example/?access_token=ui70ken",
    }
    result = CliRunner().invoke(signalbox, ["config"], env=env)
    assert result.exit_code == 0, result.output
    for secret in ("pa@ss", "ss@db", "k3yp4ss", "r3dis", "again", "t0ken0123456789", "tok3n",
                   "ui70ken"):  # fmt: skip
        assert secret not in result.output
    assert "postgresql+psycopg://sb:***@db:5432/sb?sslpassword=***" in result.output
    assert "https://***@discord.example/" in result.output
