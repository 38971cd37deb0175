"""The flow-run name filter (`like_`) with SQLite's trigram index of names (migration 0019).

The filter must keep today's answer, a case-insensitive LIKE '%text%' in which % and _ are
wildcards, on both databases; on SQLite it reads the index, which follows every insert,
rename and delete of a run.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select, text

from models.db.database import Database
from models.db.types import utcnow
from models.filters.bodies import FlowRunFilterBody
from models.runs.flow_run_name_index import FLOW_RUN_NAME_INDEX
from models.runs.flow_runs import FlowRun, delete_flow_run, update_flow_run
from models.runs.flows import Flow

NAMES = [
    "bench-ui-detail",
    "BENCH-UI-DETAIL-2",
    "Straße-run",
    "ÉCOLE-nightly",
    "école-daily",
    "100%-done",
    "1000-done",
    "under_score",
    "underXscore",
    'say "hi" twice',
    "it's-late",
    "abc",
    "ab",
    "日本語のラン",
    "a%b_c-literal",
    "AND OR NEAR(x)",
    "star*run",
]

TERMS = [
    "bench-ui-detail",
    "BENCH-ui",
    "ui-detail-2",
    "%",
    "_",
    "100%",
    "0%-d",
    "der_s",
    "r_s",
    "_score",
    '"hi"',
    '"',
    'say "',
    "'s-",
    "it'",
    "ab",
    "a",
    "",
    "abc",
    "ÉCOLE",
    "école",
    "cole-",
    "日本語",
    "本語の",
    "STRASSE",
    "straße",
    "STRAßE",
    "x%y",
    "b%c",
    "ben%tail",
    "a%b_c",
    "AND",
    "NEAR(",
    "*",
    "star*",
    "ar*r",
    "no-such-run",
]


async def store_runs(database: Database, names: list[str]) -> dict[str, UUID]:
    flow_id = uuid4()
    ids = {name: uuid4() for name in names}
    async with database.sessions.begin() as session:
        session.add(Flow(id=flow_id, name="flow"))
        await session.flush()
        session.add_all(FlowRun(id=ids[name], name=name, flow_id=flow_id) for name in names)
    return ids


async def filtered(database: Database, dialect: str, like: str) -> set[str]:
    body = FlowRunFilterBody.model_validate({"flow_runs": {"name": {"like_": like}}})
    async with database.read_sessions() as session:
        return set((await session.scalars(body.apply(select(FlowRun.name), dialect))).all())


async def matched_by_like(database: Database, like: str) -> set[str]:
    """The filter's answer before the index: the LIKE alone, on the same database."""
    async with database.read_sessions() as session:
        statement = select(FlowRun.name).where(FlowRun.name.ilike(f"%{like}%"))
        return set((await session.scalars(statement)).all())


async def indexed(database: Database, piece: str) -> set[str]:
    """The names SQLite's index finds for `piece`, read from the index alone."""
    async with database.read_sessions() as session:
        rows = await session.execute(
            text(
                f"SELECT name FROM flow_run WHERE rowid IN (SELECT rowid FROM "
                f"{FLOW_RUN_NAME_INDEX} WHERE {FLOW_RUN_NAME_INDEX} MATCH :piece)"
            ),
            {"piece": '"' + piece.replace('"', '""') + '"'},
        )
        return {row[0] for row in rows}


@pytest.fixture
def sqlite_only(dialect: str) -> None:
    if dialect != "sqlite":
        pytest.skip("SQLite's index of names: PostgreSQL has its trigram index instead")


async def test_the_filter_answers_what_the_like_alone_answers(
    database: Database, dialect: str
) -> None:
    await store_runs(database, NAMES)
    for term in TERMS:
        assert await filtered(database, dialect, term) == await matched_by_like(database, term), (
            term
        )
    # A few answers spelled out, so that a LIKE and an index wrong the same way still fail.
    assert await filtered(database, dialect, "BENCH-ui") == {"bench-ui-detail", "BENCH-UI-DETAIL-2"}
    assert await filtered(database, dialect, "der_s") == {"under_score", "underXscore"}
    assert await filtered(database, dialect, '"hi"') == {'say "hi" twice'}
    assert await filtered(database, dialect, "ab") >= {"ab", "abc"}
    assert await filtered(database, dialect, "no-such-run") == set()


async def test_the_filter_on_sqlite_reads_the_index_for_three_characters_or_more(
    database: Database, dialect: str, sqlite_only: None
) -> None:
    def sql_of(like: str) -> str:
        body = FlowRunFilterBody.model_validate({"flow_runs": {"name": {"like_": like}}})
        statement = body.apply(select(FlowRun.id), dialect)
        compiled = statement.compile(
            dialect=database.engine.dialect, compile_kwargs={"literal_binds": True}
        )
        return str(compiled)

    assert FLOW_RUN_NAME_INDEX in sql_of("bench-ui")
    assert FLOW_RUN_NAME_INDEX in sql_of("ab%cde")  # the literal piece "cde"
    assert FLOW_RUN_NAME_INDEX not in sql_of("ab")  # too short for trigrams: the LIKE alone
    assert FLOW_RUN_NAME_INDEX not in sql_of("ab_cd")


async def test_the_index_follows_inserts_renames_and_deletes(
    database: Database, sqlite_only: None
) -> None:
    ids = await store_runs(database, ["nightly-etl", "hourly-etl"])
    assert await indexed(database, "NIGHTLY") == {"nightly-etl"}
    assert await indexed(database, "-etl") == {"nightly-etl", "hourly-etl"}

    async with database.sessions.begin() as session:  # what PATCH /api/flow_runs/{id} does
        await update_flow_run(session, ids["nightly-etl"], {"name": "weekly-report"}, utcnow())
    assert await indexed(database, "nightly") == set()
    assert await indexed(database, "weekly") == {"weekly-report"}

    async with database.sessions.begin() as session:  # what DELETE /api/flow_runs/{id} does
        await delete_flow_run(session, ids["hourly-etl"])
    assert await indexed(database, "-etl") == set()
    assert await indexed(database, "report") == {"weekly-report"}


async def test_a_change_of_other_columns_keeps_the_name_indexed(
    database: Database, sqlite_only: None
) -> None:
    ids = await store_runs(database, ["kept-name"])
    changes: dict[str, Any] = {"flow_version": "v2", "tags": ["x"]}
    async with database.sessions.begin() as session:
        await update_flow_run(session, ids["kept-name"], changes, utcnow())
    assert await indexed(database, "kept") == {"kept-name"}
