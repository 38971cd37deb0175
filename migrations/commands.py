"""The Alembic operations Signalbox runs: upgrade, downgrade, reset, stamp, and what is current.

The CLI, `server start` and the tests call these; each opens its own connection. Alembic's
`command` module already does the work; these add our configuration and the checks that
turn its failures into one clear line. Each run is one transaction (see env.py): a failure
leaves the database at the revision it started from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from models.db.metadata import metadata
from models.runs.flow_run_name_index import FLOW_RUN_NAME_INDEX
from models.settings import Settings

MIGRATIONS_FOLDER = Path(__file__).parent
#: Where Alembic records the revision (its default name: env.py does not change it).
VERSION_TABLE = "alembic_version"


def alembic_config(settings: Settings, *, stdout: TextIO | None = None) -> Config:
    """An Alembic configuration for this database, with no alembic.ini needed."""
    config = Config(stdout=stdout, output_buffer=stdout) if stdout is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_FOLDER / "versions"))
    # Revision files are named <number>_<slug>.py so they sort in order.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = settings.database_url
    return config


def script_directory(settings: Settings) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(settings))


def head_revision(settings: Settings) -> str:
    head = script_directory(settings).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def upgrade(
    settings: Settings,
    revision: str = "head",
    *,
    dry_run: bool = False,
    on_step: Callable[[str], None] | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Apply migrations up to `revision` (head, an id or unique prefix, or +N)."""
    config = with_progress(alembic_config(settings, stdout=stdout), on_step)
    if dry_run and ":" not in revision:
        revision = from_current_revision(settings, revision)
    command.upgrade(config, revision, sql=dry_run)


def downgrade(
    settings: Settings,
    revision: str = "-1",
    *,
    dry_run: bool = False,
    on_step: Callable[[str], None] | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Undo migrations down to `revision` (-N, an id or unique prefix, or base)."""
    config = with_progress(alembic_config(settings, stdout=stdout), on_step)
    if dry_run and ":" not in revision:
        revision = from_current_revision(settings, revision)
    command.downgrade(config, revision, sql=dry_run)


def from_current_revision(settings: Settings, revision: str) -> str:
    """The range `--dry-run` prints: offline, Alembic cannot read where the database is, and
    would start an upgrade at base and a downgrade at nothing; so the range starts there."""
    return f"{current_revision(settings) or 'base'}:{revision}"


def reset(
    settings: Settings,
    *,
    on_phase: Callable[[str], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Drop every table of ours, whatever revision the database records, and build it at head.

    Not a downgrade to base: that trusts the recorded revision, and after a wrong `stamp` it
    drops the wrong tables or none. The drop and the upgrade are one transaction, so a failure
    leaves the database as it was. `on_phase` hears "downgrade" as the tables are dropped, then
    "upgrade"; `on_step` each revision applied.
    """
    announce = on_phase or (lambda phase: None)

    def drop_then_announce_upgrade(connection: Connection) -> None:
        announce("downgrade")
        drop_signalbox_tables(connection)
        announce("upgrade")

    config = with_progress(alembic_config(settings), on_step)
    config.attributes["before_revisions"] = drop_then_announce_upgrade
    command.upgrade(config, "head")


def drop_signalbox_tables(connection: Connection) -> None:
    """Drop each table of the models and the version table, those that exist, children first,
    then SQLite's index of flow-run names (its triggers went with `flow_run`).

    On PostgreSQL, CASCADE also drops what other revisions' tables hang on them (a foreign key
    of a table the models no longer have). SQLite checks no foreign keys on this connection.
    """
    quote = connection.dialect.identifier_preparer.quote
    cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    for name in [*tables, FLOW_RUN_NAME_INDEX, VERSION_TABLE]:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)}{cascade}")


def stamp(settings: Settings, revision: str) -> None:
    """Record `revision` as current without running any migration."""
    command.stamp(alembic_config(settings), revision)


def revision_history(settings: Settings) -> list[tuple[str, str]]:
    """Every revision, oldest first: its id and the first line of its description."""
    scripts = reversed(list(script_directory(settings).walk_revisions()))
    return [(script.revision, (script.doc or "").partition("\n")[0]) for script in scripts]


def write_revision(settings: Settings, message: str, *, autogenerate: bool) -> list[str]:
    """Write a new revision file (for developers of Signalbox); returns the paths written."""
    written = command.revision(alembic_config(settings), message=message, autogenerate=autogenerate)
    scripts = written if isinstance(written, list) else [written]
    return [script.path for script in scripts if script is not None]


def current_and_head_revisions(settings: Settings) -> tuple[str | None, str]:
    """The revision the database is at (None: none of ours), and the newest there is."""
    return current_revision(settings), head_revision(settings)


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, or None when it has none of ours."""
    found: list[str | None] = [None]

    def remember(rev: Any, context: Any) -> list[Any]:
        found[0] = context.get_current_revision()
        return []

    run_script(settings, remember)
    return found[0]


def run_script(settings: Settings, fn: Callable[[Any, Any], list[Any]]) -> None:
    """Run env.py with `fn` as the migration function (how Alembic reads the current state)."""
    from alembic.runtime.environment import EnvironmentContext

    config = alembic_config(settings)
    with EnvironmentContext(config, script_directory(settings), fn=fn):
        script_directory(settings).run_env()


def with_progress(config: Config, on_step: Callable[[str], None] | None) -> Config:
    """Have env.py report each revision as it is applied."""
    if on_step is not None:
        config.attributes["on_step"] = on_step
    return config
