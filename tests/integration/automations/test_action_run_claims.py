"""Claiming an action run: one runner at a time, taken over when its runner died, never run
again once finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from models.automations.action_runs import (
    Claimed,
    Finished,
    HeldElsewhere,
    claim_action_run,
    finish_action_run,
    release_action_run,
)
from models.db.database import Database
from tests.integration.automations.firings import insert_automation, insert_firing

LEASE = timedelta(seconds=120)


async def claim(database: Database, firing_id: UUID, automation_id: UUID, now: datetime) -> object:
    async with database.sessions.begin() as session:
        return await claim_action_run(
            session,
            firing_id=firing_id,
            automation_id=automation_id,
            action_index=0,
            action_type="do-nothing",
            now=now,
            lease=LEASE,
        )


async def test_a_second_runner_waits_takes_over_after_the_lease_and_a_finished_run_stays_finished(
    database: Database,
) -> None:
    automation_id = await insert_automation(database, [{"type": "do-nothing"}])
    firing_id = UUID(await insert_firing(database, automation_id, None))
    now = datetime.now(UTC)

    first = await claim(database, firing_id, automation_id, now)
    assert isinstance(first, Claimed) and first.first
    held = await claim(database, firing_id, automation_id, now + timedelta(seconds=5))
    assert isinstance(held, HeldElsewhere) and held.retry_in == timedelta(seconds=115)

    # The first runner died: once its lease ran out the action is taken over, not started anew.
    taken_over = await claim(database, firing_id, automation_id, now + LEASE * 2)
    assert isinstance(taken_over, Claimed)
    assert (taken_over.id, taken_over.first, taken_over.started) == (first.id, False, now)

    async with database.sessions.begin() as session:
        await finish_action_run(
            session, first.id, succeeded=True, reason=None, details={"x": 1}, now=now
        )
    assert await claim(database, firing_id, automation_id, now + LEASE * 3) == Finished({"x": 1})


async def test_a_released_action_run_is_claimed_again_at_once(database: Database) -> None:
    automation_id = await insert_automation(database, [{"type": "do-nothing"}])
    firing_id = UUID(await insert_firing(database, automation_id, None))
    now = datetime.now(UTC)
    first = await claim(database, firing_id, automation_id, now)
    assert isinstance(first, Claimed)

    async with database.sessions.begin() as session:
        await release_action_run(session, first.id, now)

    assert isinstance(await claim(database, firing_id, automation_id, now), Claimed)
