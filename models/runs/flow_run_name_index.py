"""SQLite's index of flow-run names, for the name filter's substring match (`like_`).

SQLite has no index for `lower(name) LIKE '%text%'`, so a rare name made the filter read
every flow run. Migration 0019 builds an FTS5 table with the trigram tokenizer over
`flow_run.name` (external content: it stores only the index, keyed by the run's rowid),
kept by triggers on insert, rename and delete. PostgreSQL answers the same LIKE from its
trigram index (`ix_flow_run_name_trgm`) and has no such table.
"""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import ColumnElement, literal_column, text

#: The FTS5 table; SQLite adds its shadow tables (`flow_run_name_fts_data`, ...) beside it.
FLOW_RUN_NAME_INDEX: Final = "flow_run_name_fts"

#: The trigram tokenizer indexes runs of three characters: a shorter text matches nothing.
SHORTEST_INDEXED: Final = 3

#: `like_` passes % and _ into the pattern as wildcards (Prefect's rule), so only the text
#: between them must appear in a matching name.
WILDCARDS: Final = re.compile(r"[%_]")


def name_index_clause(like: str | None, dialect: str) -> ColumnElement[bool] | None:
    """What every name matching `like_` satisfies, as the index answers it; None when the
    index cannot narrow the search (PostgreSQL, or no literal piece of 3 characters).

    The caller keeps the LIKE beside it: the index finds candidates by trigrams (folding
    case beyond ASCII, as LIKE does not) and the LIKE decides, so the result is the LIKE's.
    """
    if like is None or dialect != "sqlite":
        return None
    pieces = [piece for piece in WILDCARDS.split(like) if len(piece) >= SHORTEST_INDEXED]
    if not pieces:
        return None
    # Each piece is one FTS5 string (a quote inside is doubled), so no character of a name
    # is read as query syntax; a trigram phrase matches the piece as a substring.
    query = " AND ".join('"' + piece.replace('"', '""') + '"' for piece in pieces)
    matching = text(
        f"SELECT rowid FROM {FLOW_RUN_NAME_INDEX} WHERE {FLOW_RUN_NAME_INDEX} MATCH :name_query"
    ).bindparams(name_query=query)
    # The rowid is no column of the model; flow-run queries never alias the table.
    return literal_column("flow_run.rowid").in_(matching)
