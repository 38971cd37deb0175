"""The README's compatibility table, generated from the matrix rows.

`python -m tests.compat.matrix.table` prints it; tests/compat/test_compat_table.py checks
that README.md holds exactly this table, so the README says what the matrix runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from tests.compat.matrix.catalog import ACTIONS, PENDING_ACTIONS
from tests.compat.matrix.rows import Action

#: The README heading the table sits under.
HEADING: Final = "## Compatibility with the Prefect client"

HEADER: Final = (
    "| Area | User actions that work | Not yet | What does not work yet |",
    "|---|---:|---:|---|",
)


def areas(actions: Iterable[Action]) -> list[str]:
    """Area names in the order the rows first name them."""
    return list(dict.fromkeys(action.area for action in actions))


def compatibility_table() -> list[str]:
    """The table's lines: one row per area, then the totals."""
    lines = list(HEADER)
    for area in areas([*ACTIONS, *PENDING_ACTIONS]):
        works = sum(action.area == area for action in ACTIONS)
        pending = [action for action in PENDING_ACTIONS if action.area == area]
        reasons = "; ".join(dict.fromkeys(action.pending for action in pending)) or "—"
        lines.append(f"| {area} | {works} | {len(pending)} | {reasons} |")
    lines.append(f"| **all** | **{len(ACTIONS)}** | **{len(PENDING_ACTIONS)}** | — |")
    return lines


if __name__ == "__main__":
    print("\n".join(compatibility_table()))
