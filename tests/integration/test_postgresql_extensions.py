"""PostgreSQL only: pg_trgm is enabled by the first revision, or the CLI says how to enable it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from cli.main import signalbox


def libpq_url(sqlalchemy_url: str, **changes: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql", **changes).render_as_string(False)


@pytest.fixture
def restricted_database(postgresql_url: str) -> Iterator[str]:
    """A new database and a role that may create tables there but not extensions."""
    suffix = uuid4().hex[:8]
    name, role = f"signalbox_no_trgm_{suffix}", f"signalbox_no_ext_{suffix}"
    admin = libpq_url(postgresql_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
        connection.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
    with psycopg.connect(libpq_url(postgresql_url, database=name), autocommit=True) as connection:
        # Tables yes (schema privilege); extensions no (they need CREATE on the database).
        connection.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
    yield make_url(postgresql_url).set(database=name, username=role).render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {name} WITH (FORCE)")
        connection.execute(f"DROP ROLE {role}")


def test_the_first_revision_enables_pg_trgm_and_builds_trigram_indexes(
    postgresql_url: str, migrated_url: str
) -> None:
    with psycopg.connect(libpq_url(postgresql_url)) as connection:
        extension = connection.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
        ).fetchone()
        indexes = {
            row[0]
            for row in connection.execute(
                "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'"
            )
        }
    assert extension is not None
    assert {"ix_flow_run_name_trgm", "ix_task_run_name_trgm", "ix_deployment_name_trgm"} <= indexes


def test_missing_pg_trgm_is_one_line_that_says_how_to_enable_it(
    restricted_database: str, tmp_path: Path
) -> None:
    env = {"SIGNALBOX_DATABASE_URL": restricted_database, "SIGNALBOX_HOME": str(tmp_path)}
    result = CliRunner().invoke(signalbox, ["server", "database", "upgrade", "-y"], env=env)

    assert result.exit_code == 1
    assert "Signalbox needs the PostgreSQL extension pg_trgm (not allowed" in result.output
    assert "CREATE EXTENSION pg_trgm" in result.output
    assert "Traceback" not in result.output
    with psycopg.connect(libpq_url(restricted_database)) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    assert tables <= {"alembic_version"}  # nothing of ours was left half-built
