"""SQLite: an FTS5 trigram index of flow-run names, kept by triggers, for the name filter.

PostgreSQL has its trigram index since 0002 (`ix_flow_run_name_trgm`); this does nothing there.
The table holds only the index (external content: `flow_run` keeps the names), keyed by the
run's rowid, which `flow_run` has (it is not WITHOUT ROWID) and which no statement of ours
changes (SQLite renumbers rowids only in VACUUM, which Signalbox never runs).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each trigger writes what the row's change means to the index; an external-content table
#: removes a name by being told the old text ('delete'). A change of other columns (states,
#: times) does not touch the index.
TRIGGERS = {
    "flow_run_name_fts_insert": """
        AFTER INSERT ON flow_run BEGIN
            INSERT INTO flow_run_name_fts (rowid, name) VALUES (new.rowid, new.name);
        END""",
    "flow_run_name_fts_rename": """
        AFTER UPDATE OF name ON flow_run BEGIN
            INSERT INTO flow_run_name_fts (flow_run_name_fts, rowid, name)
                VALUES ('delete', old.rowid, old.name);
            INSERT INTO flow_run_name_fts (rowid, name) VALUES (new.rowid, new.name);
        END""",
    "flow_run_name_fts_delete": """
        AFTER DELETE ON flow_run BEGIN
            INSERT INTO flow_run_name_fts (flow_run_name_fts, rowid, name)
                VALUES ('delete', old.rowid, old.name);
        END""",
}


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE flow_run_name_fts USING fts5("
        "name, content='flow_run', content_rowid='rowid', tokenize='trigram')"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    # The runs already stored: read from the content table in one pass.
    op.execute("INSERT INTO flow_run_name_fts (flow_run_name_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS flow_run_name_fts")
