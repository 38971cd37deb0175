"""The artifact lists of the UI: the latest of each key with the unkeyed ones, newest first,
filtered and paged; and the versions of one key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models.db.database import Database
from models.runs.artifact_listing import list_artifact_summaries, list_artifact_versions
from models.runs.artifacts import create_artifact

START = datetime(2026, 1, 1, tzinfo=UTC)


async def publish(database: Database, minute: int, **values: Any) -> str:
    async with database.sessions.begin() as session:
        published = START + timedelta(minutes=minute)
        values = {"type": "markdown", "data": "# x", **values}
        artifact = await create_artifact(session, values, published)
    return str(artifact.id)


async def test_keys_show_their_latest_among_unkeyed_artifacts_newest_first(
    database: Database,
) -> None:
    oldest_unkeyed = await publish(database, 0, description="u1")
    await publish(database, 1, key="report", description="first")
    other = await publish(database, 2, key="other", type="table", data="[]")
    report = await publish(database, 3, key="report", description="second")
    newest_unkeyed = await publish(database, 4, description="u2")

    async with database.read_sessions() as session:
        listed = await list_artifact_summaries(session, limit=10)
        tables = await list_artifact_summaries(session, artifact_type="table", limit=10)
        keyed = await list_artifact_summaries(session, key_like="REP", limit=10)
        second_page = await list_artifact_summaries(session, limit=2, offset=2)

    assert [(str(row.id), row.key) for row in listed] == [
        (newest_unkeyed, None),
        (report, "report"),
        (other, "other"),
        (oldest_unkeyed, None),
    ]
    assert listed[1].description == "second"  # the key's latest version speaks for it
    assert [row.key for row in tables] == ["other"]
    assert [str(row.id) for row in keyed] == [report]  # a key filter leaves unkeyed ones out
    assert [str(row.id) for row in second_page] == [other, oldest_unkeyed]


async def test_the_versions_of_a_key_come_newest_first(database: Database) -> None:
    first = await publish(database, 1, key="report")
    await publish(database, 2, key="elsewhere")
    second = await publish(database, 3, key="report")

    async with database.read_sessions() as session:
        versions = await list_artifact_versions(session, "report", limit=10)
        paged = await list_artifact_versions(session, "report", limit=1, offset=1)

    assert [str(row.id) for row in versions] == [second, first]
    assert [str(row.id) for row in paged] == [first]
    assert versions[0].flow_run_name is None  # no such run: the join keeps the artifact
