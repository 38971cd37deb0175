"""What a release carries: its version on the command line, a licence, a changelog entry."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

from cli.main import signalbox

ROOT = Path(__file__).resolve().parents[2]


def test_signalbox_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(signalbox, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"signalbox {version('signalbox')}\n"


def test_the_changelog_has_an_entry_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## {version('signalbox')} " in changelog


def test_the_licence_is_apache_2_with_the_authors_copyright() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "Copyright 2026 The Signalbox authors" in licence
