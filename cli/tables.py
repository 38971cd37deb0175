"""Tables the CLI prints: a header line, then the rows, each column aligned under its header."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Sequence[str] = ()
) -> list[str]:
    """The lines of a table; the columns named in `right` (numbers) are aligned right."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [
        max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if header in right else value.ljust(width)
            for header, value, width in zip(headers, values, widths, strict=True)
        ).rstrip()

    return [line(headers), *(line(row) for row in cells)]
