"""README.md's compatibility table says what the compatibility matrix runs, area by area."""

from __future__ import annotations

from pathlib import Path

from tests.compat.matrix.table import HEADING, compatibility_table

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> list[str]:
    """The table lines of the README section under HEADING."""
    lines = README.read_text().splitlines()
    assert HEADING in lines, f"README.md has no section {HEADING!r}"
    section = lines[lines.index(HEADING) + 1 :]
    section = section[: next((i for i, line in enumerate(section) if line.startswith("## ")),
                             len(section))]  # fmt: skip
    return [line for line in section if line.startswith("|")]


def test_the_readme_table_matches_the_matrix() -> None:
    # On a mismatch, `python -m tests.compat.matrix.table` prints the table to paste.
    assert readme_table() == compatibility_table()
