"""The migration history: up, down and back up, on the suite's database, through the CLI."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner, Result
from sqlalchemy import column, func, insert, inspect, select, table
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql.expression import TableClause

from cli.main import signalbox
from migrations import commands
from migrations.autogenerate import objects_for
from models.db.metadata import metadata
from models.runs.flow_run_name_index import FLOW_RUN_NAME_INDEX
from models.settings import Settings
from tests.integration.sample_rows import sample_rows

REVISIONS = [
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
    "0016",
    "0017",
    "0018",
    "0019",
]
#: More revisions than there are, for a relative downgrade that cannot be done.
TOO_MANY = len(REVISIONS) + 1


def run_cli(settings: Settings, *args: str, input: str | None = None) -> Result:
    env = {"SIGNALBOX_DATABASE_URL": settings.database_url, "SIGNALBOX_HOME": str(settings.home)}
    return CliRunner().invoke(signalbox, ["server", "database", *args], env=env, input=input)


def on_database(settings: Settings, work: Any) -> Any:
    """Run `work(sync_connection)` in one transaction on a connection of its own."""

    async def go() -> Any:
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def of_the_models(names: set[str]) -> set[str]:
    """The table names without the version table and SQLite's index of flow-run names (an
    FTS5 table and its shadow tables, which no model describes)."""
    return {
        name
        for name in names
        if name != "alembic_version" and not name.startswith(FLOW_RUN_NAME_INDEX)
    }


def our_tables(settings: Settings) -> set[str]:
    return of_the_models(on_database(settings, lambda c: set(inspect(c).get_table_names())))


def with_columns_of(name: str, row: dict[str, Any]) -> TableClause:
    """Table `name` with only the columns of `row`: a later column's default stays out."""
    return table(name, *(column(key, metadata.tables[name].c[key].type) for key in row))


def our_columns(settings: Settings) -> dict[str, set[str]]:
    """The columns of each of our tables, as the database has them now."""

    def columns(connection: Any) -> dict[str, set[str]]:
        inspector = inspect(connection)
        names = of_the_models(set(inspector.get_table_names()))
        return {name: {column["name"] for column in inspector.get_columns(name)} for name in names}

    return on_database(settings, columns)


def row_counts(settings: Settings, names: set[str]) -> dict[str, int]:
    def count(connection: Any) -> dict[str, int]:
        return {
            name: connection.scalar(select(func.count()).select_from(metadata.tables[name]))
            for name in names
        }

    return on_database(settings, count)


@pytest.fixture
def migrations_settings(settings: Settings, migrated_url: str) -> Iterator[Settings]:
    """The suite's database, put back at head (and emptied) whatever the test did to it."""
    yield settings
    commands.reset(settings)  # whatever revision the test left recorded


def test_up_down_up_keeps_every_row_written_on_the_way_up(migrations_settings: Settings) -> None:
    settings = migrations_settings
    commands.downgrade(settings, "base")
    assert our_tables(settings) == set()

    written: dict[str, dict[str, Any]] = {}
    for revision in REVISIONS:
        commands.upgrade(settings, revision)
        # A revision may only alter tables (0005 adds a column): rows written earlier must
        # then survive it, which the check below covers.
        columns = our_columns(settings)
        new_tables = set(columns) - set(written)
        rows = {  # the models are at head: keep the columns the tables have at this revision
            name: {column: value for column, value in row.items() if column in columns[name]}
            for name, row in sample_rows(
                [metadata.tables[name] for name in new_tables], parents=written
            ).items()
        }
        on_database(
            settings,
            lambda c, rows=rows: [
                c.execute(insert(with_columns_of(n, r)), [r]) for n, r in rows.items()
            ],
        )
        written.update(rows)
        # Every row written so far survives the revisions applied after it.
        assert row_counts(settings, set(written)) == dict.fromkeys(written, 1)

    assert set(written) == set(metadata.tables), "some table of the models has no migration"

    commands.downgrade(settings, "base")
    assert our_tables(settings) == set()
    commands.upgrade(settings, "head")
    assert our_tables(settings) == set(metadata.tables)
    assert commands.current_revision(settings) == REVISIONS[-1]


def test_downgrade_minus_one_moves_exactly_one_revision(migrations_settings: Settings) -> None:
    result = run_cli(migrations_settings, "downgrade", "-y", "-r", "-1")
    assert result.exit_code == 0, result.output
    assert commands.current_revision(migrations_settings) == REVISIONS[-2]
    assert "variable" in our_tables(migrations_settings)

    result = run_cli(migrations_settings, "downgrade", "-y")  # -1 is the default
    assert result.exit_code == 0, result.output
    assert commands.current_revision(migrations_settings) == REVISIONS[-3]


def test_downgrade_to_base_leaves_no_table_of_ours(migrations_settings: Settings) -> None:
    result = run_cli(migrations_settings, "downgrade", "-y", "-r", "base")
    assert result.exit_code == 0, result.output
    assert our_tables(migrations_settings) == set()
    assert "Downgraded from 0001" in result.output


def test_upgrade_accepts_a_unique_prefix_and_prints_each_revision(
    migrations_settings: Settings,
) -> None:
    commands.downgrade(migrations_settings, "base")
    result = run_cli(migrations_settings, "upgrade", "-y", "-r", "0002")
    assert result.exit_code == 0, result.output
    assert "Upgraded to 0001" in result.output and "Upgraded to 0002" in result.output
    assert commands.current_revision(migrations_settings) == "0002"


def test_reset_leaves_every_table_empty_and_at_head(migrations_settings: Settings) -> None:
    rows = sample_rows(list(metadata.sorted_tables))
    on_database(
        migrations_settings,
        lambda c: [c.execute(insert(metadata.tables[n]), [r]) for n, r in rows.items()],
    )
    assert set(row_counts(migrations_settings, set(rows)).values()) == {1}

    result = run_cli(migrations_settings, "reset", "-y")
    assert result.exit_code == 0, result.output
    assert set(row_counts(migrations_settings, set(metadata.tables)).values()) == {0}
    assert commands.current_revision(migrations_settings) == REVISIONS[-1]


def test_a_declined_prompt_changes_nothing(migrations_settings: Settings) -> None:
    result = run_cli(migrations_settings, "downgrade", input="n\n")
    assert result.exit_code == 1
    assert "[y/N]" in result.output and "aborted" in result.output
    assert commands.current_revision(migrations_settings) == REVISIONS[-1]


def test_models_and_migrations_agree(migrated_url: str, dialect: str) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": objects_for(dialect)},
        )
        return compare_metadata(context, metadata)

    assert on_database(Settings(database_url=migrated_url), differences) == []


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("nonexistent123", "Can't locate revision identified by 'nonexistent123'"),
        (f"-{TOO_MANY}", f"Relative revision -{TOO_MANY} didn't produce {TOO_MANY} migrations"),
    ],
)
def test_a_bad_revision_is_one_line_and_leaves_the_database_as_it_was(
    migrations_settings: Settings, revision: str, message: str
) -> None:
    result = run_cli(migrations_settings, "downgrade", "-y", "-r", revision)
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output
    assert commands.current_revision(migrations_settings) == REVISIONS[-1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "Error: Bad database URL: Could not parse SQLAlchemy URL"),
        (
            "postgresql+psycopg://postgres@127.0.0.1:1/signalbox",
            "Error: Database error: connection",
        ),
        ("sqlite+nosuchdriver:///x.db", "Error: Bad database URL"),
    ],
)
def test_an_unusable_database_url_is_one_line(tmp_path: Any, url: str, message: str) -> None:
    result = run_cli(Settings(home=tmp_path, database_url=url), "upgrade", "-y")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # "Running upgrade..." and the error


def schema_of(settings: Settings) -> dict[str, tuple[set[str], set[str | None]]]:
    """Each table of the database (ours and any other): its columns and its indexes."""

    def describe(connection: Any) -> dict[str, tuple[set[str], set[str | None]]]:
        inspector = inspect(connection)
        return {
            name: (
                {column["name"] for column in inspector.get_columns(name)},
                {index["name"] for index in inspector.get_indexes(name)},
            )
            for name in inspector.get_table_names()
        }

    return on_database(settings, describe)


def insert_a_row_in_every_table(settings: Settings) -> None:
    rows = sample_rows(list(metadata.sorted_tables))
    on_database(
        settings, lambda c: [c.execute(insert(metadata.tables[n]), [r]) for n, r in rows.items()]
    )


@pytest.mark.parametrize(
    ("start", "recorded"),
    [
        # The tables of every revision, recorded as 0002: a downgrade would drop 0002's tables
        # first, which later revisions' tables still reference.
        ("head", REVISIONS[1]),
        # No table at all, recorded as head: a downgrade would drop tables that are not there.
        ("base", "head"),
    ],
)
def test_reset_drops_every_table_whatever_revision_is_recorded(
    migrations_settings: Settings, start: str, recorded: str
) -> None:
    settings = migrations_settings
    if start == "head":
        insert_a_row_in_every_table(settings)
    else:
        commands.downgrade(settings, "base")
    result = run_cli(settings, "stamp", recorded)
    assert result.exit_code == 0, result.output

    result = run_cli(settings, "reset", "-y")
    assert result.exit_code == 0, result.output
    assert result.output.index("Downgrading database...") < result.output.index(
        "Upgrading database..."
    )
    assert f"Upgraded to {REVISIONS[0]}" in result.output
    assert our_tables(settings) == set(metadata.tables)
    assert set(row_counts(settings, set(metadata.tables)).values()) == {0}
    assert commands.current_revision(settings) == REVISIONS[-1]


#: A revision after head that changes the schema, then fails: the run must leave none of it.
FAILING_REVISION = """\"\"\"Adds a table and a column, then runs a statement that cannot run.

Revision ID: fails
Revises: {head}
\"\"\"

import sqlalchemy as sa
from alembic import op

revision = "fails"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("doomed", sa.Column("id", sa.Integer(), primary_key=True))
    with op.batch_alter_table("variable") as batch:
        batch.add_column(sa.Column("doomed", sa.Integer(), nullable=True))
    op.execute("SELECT * FROM no_such_table")


def downgrade() -> None:
    raise NotImplementedError
"""


@pytest.fixture
def failing_revision(
    migrations_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Our revisions plus FAILING_REVISION after head, for this test only (not in the tree)."""
    versions = tmp_path / "failing_versions"
    versions.mkdir()
    head = commands.head_revision(migrations_settings)
    (versions / "fails.py").write_text(FAILING_REVISION.format(head=head))
    shipped = commands.alembic_config

    def with_failing_revision(settings: Settings, **options: Any) -> Any:
        config = shipped(settings, **options)
        locations = config.get_main_option("version_locations")
        config.set_main_option("version_locations", f"{locations}{os.pathsep}{versions}")
        return config

    monkeypatch.setattr(commands, "alembic_config", with_failing_revision)
    yield "fails"
    monkeypatch.undo()  # before migrations_settings puts the database back at head


def test_a_failing_revision_leaves_the_revision_the_upgrade_started_from(
    migrations_settings: Settings, failing_revision: str
) -> None:
    settings = migrations_settings
    start = "0005"  # then 0006 creates a table and rewrites two (batch mode on SQLite)
    commands.downgrade(settings, start)
    variable = sample_rows([metadata.tables["variable"]])["variable"]  # unchanged since 0003
    on_database(settings, lambda c: c.execute(insert(metadata.tables["variable"]), [variable]))
    before = schema_of(settings)

    result = run_cli(settings, "upgrade", "-y")
    assert result.exit_code == 1
    assert "Error: Database error:" in result.output and "no_such_table" in result.output
    assert "Traceback" not in result.output

    assert commands.current_revision(settings) == start
    assert schema_of(settings) == before  # nothing of 0006 and after, nor of the failing one
    assert row_counts(settings, {"variable"}) == {"variable": 1}


def test_a_failing_reset_leaves_every_table_and_row(
    migrations_settings: Settings, failing_revision: str
) -> None:
    settings = migrations_settings
    insert_a_row_in_every_table(settings)
    before = schema_of(settings)

    result = run_cli(settings, "reset", "-y")
    assert result.exit_code == 1
    assert "no_such_table" in result.output

    # The drop and the upgrade are one transaction: the drop went back too.
    assert schema_of(settings) == before
    assert set(row_counts(settings, set(metadata.tables)).values()) == {1}
    assert commands.current_revision(settings) == REVISIONS[-1]


def test_dry_run_prints_the_sql_from_the_revision_the_database_is_at(
    migrations_settings: Settings,
) -> None:
    settings = migrations_settings
    commands.downgrade(settings, "0008")

    result = run_cli(settings, "upgrade", "--dry-run", "-r", "0009")
    assert result.exit_code == 0, result.output
    assert "Running upgrade 0008 -> 0009" in result.output
    assert "Running upgrade 0007 -> 0008" not in result.output
    assert "CREATE TABLE" not in result.output  # not from base

    result = run_cli(settings, "downgrade", "--dry-run")  # -1
    assert result.exit_code == 0, result.output
    assert "Running downgrade 0008 -> 0007" in result.output
    assert "Running downgrade 0009 -> 0008" not in result.output  # not from head

    assert commands.current_revision(settings) == "0008"  # SQL printed, nothing run


def test_0019_indexes_the_names_stored_before_it_and_its_downgrade_removes_the_index(
    migrations_settings: Settings, dialect: str
) -> None:
    settings = migrations_settings
    commands.downgrade(settings, "0018")
    rows = sample_rows([metadata.tables["flow"], metadata.tables["flow_run"]])
    rows["flow_run"]["name"] = "stored-before-0019"
    on_database(
        settings,
        lambda c: [c.execute(insert(metadata.tables[n]), [rows[n]]) for n in ("flow", "flow_run")],
    )

    def schema_objects(connection: Any) -> set[str]:
        if dialect != "sqlite":
            return set()
        found = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE 'flow_run_name_fts%'"
        )
        return {row[0] for row in found}

    def indexed_names(connection: Any) -> list[str]:
        found = connection.exec_driver_sql(
            "SELECT name FROM flow_run WHERE rowid IN (SELECT rowid FROM flow_run_name_fts "
            "WHERE flow_run_name_fts MATCH '\"BEFORE-0019\"')"
        )
        return [row[0] for row in found]

    assert on_database(settings, schema_objects) == set()
    commands.upgrade(settings, "0019")
    if dialect == "sqlite":
        assert on_database(settings, indexed_names) == ["stored-before-0019"]
        assert {
            FLOW_RUN_NAME_INDEX,
            "flow_run_name_fts_insert",
            "flow_run_name_fts_rename",
            "flow_run_name_fts_delete",
        } <= on_database(settings, schema_objects)
    else:  # PostgreSQL has its trigram index since 0002: 0019 adds nothing there
        assert "flow_run_name_fts" not in set(
            on_database(settings, lambda c: inspect(c).get_table_names())
        )

    commands.downgrade(settings, "0018")
    assert on_database(settings, schema_objects) == set()
    assert row_counts(settings, {"flow_run"}) == {"flow_run": 1}
