"""The `automations` queue: stored events evaluated against the automations' triggers, and
the clock's proactive look, sweep and hand-over of firings.

Who sends `evaluate_events`: the actors that store events, once their write has committed
and before their own message is acknowledged (a crash in between redelivers that message,
which stores nothing twice and sends again). Events written by the API itself reach the
evaluator through `sweep_events_for_automations`. A notification policy's firing is acted on
here, in the transaction that records it (`models/automations/policy_firings.py`), and its
deliveries go straight to their channel queues; every other new firing is handed to the
`actions` queue after that transaction commits, and `resend_unacted_firings` catches the
firings of a process that died between the two.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from uuid import UUID

import dramatiq

# The module, not its actor: the action runner announces flow-run states through the
# state actors, which send here, so this import may meet that module half-initialized.
from actors import automation_actions, resources
from actors.notifications import send_owed_deliveries
from actors.retrying import PERSISTENCE_OPTIONS
from models.automations.enabled_rules import EnabledRules
from models.automations.evaluation import evaluate_events as count_events
from models.automations.evaluation import read_candidate_events
from models.automations.firing_handover import read_unacted_firings
from models.automations.firing_writes import Recorded
from models.automations.policy_firings import ActedFirings, act_on_policy_firings
from models.automations.proactive import evaluate_proactive_trigger, proactive_rules
from models.automations.sweep import (
    like_patterns,
    move_sweep_cursor,
    prune_evaluated_events,
    read_events_received_since,
    read_sweep_start,
)
from models.db.types import utcnow
from models.events.tables import EVENTS_CHANNEL

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)

#: Events one sweep transaction evaluates.
SWEEP_PAGE_SIZE: Final = 1_000
#: Firings handed over again per look.
RESEND_BATCH_SIZE: Final = 500

#: This process's copy of the enabled triggers; reread whenever the automations change.
enabled_rules = EnabledRules()


def hand_over(firing_ids: list[UUID]) -> None:
    """Send each firing to the action runner (blocking: one Redis round trip each)."""
    for firing_id in firing_ids:
        automation_actions.act_on_firing.send(str(firing_id))


async def hand_over_firings(firing_ids: list[UUID]) -> None:
    if firing_ids:
        await asyncio.to_thread(hand_over, firing_ids)


async def act_on_policies(session: AsyncSession, recorded: Recorded) -> ActedFirings:
    """In the transaction that recorded them: the notifications of the policies that fired."""
    settings = resources.settings()
    return await act_on_policy_firings(
        session,
        recorded.firing_ids,
        now=utcnow(),
        ui_url=settings.ui_url,
        template_max_bytes=settings.automation_template_max_bytes,
    )


async def announce_firings(recorded: Recorded, acted: ActedFirings | None = None) -> None:
    """Once committed: the policies' deliveries to their channels, the other firings to the
    action runner, the events to subscribers."""
    acted = acted or ActedFirings()
    # First: the time from a state to its notification is what this path is for.
    await send_owed_deliveries(acted.deliveries, acted.owed)
    published = [*recorded.events, *acted.events]
    if published:
        await resources.redis_client().publish(EVENTS_CHANNEL, json.dumps(published, default=str))
    await hand_over_firings(
        [firing_id for firing_id in recorded.firing_ids if firing_id not in acted.firing_ids]
    )


@dramatiq.actor(queue_name="automations", throws=(ValueError,), **PERSISTENCE_OPTIONS)
async def evaluate_events(event_ids: list[str]) -> None:
    """Evaluate stored events (by id) against every enabled automation's triggers."""
    ids = [UUID(event_id) for event_id in event_ids]  # a bad id is a dead letter at once
    database, settings = resources.database(), resources.settings()
    now = utcnow()
    horizon = now - timedelta(hours=settings.automation_evaluation_horizon_hours)
    async with database.read_sessions() as session:
        automations = await enabled_rules.current(session)
        if not automations:
            return
        events = await read_candidate_events(session, ids, received_after=horizon)
    if not any(
        rule.covers(event)
        for event in events
        for automation in automations
        for rule in automation.events
    ):
        return  # most events: no write transaction at all
    async with database.sessions.begin() as session:
        recorded = await count_events(session, automations, events, now)
        acted = await act_on_policies(session, recorded)
    await announce_firings(recorded, acted)


@dramatiq.actor(queue_name="automations", **PERSISTENCE_OPTIONS)
async def sweep_events_for_automations() -> None:
    """Evaluate the events received since the last sweep (less an overlap), page by page."""
    database, settings = resources.database(), resources.settings()
    now = utcnow()
    async with database.read_sessions() as session:
        automations = await enabled_rules.current(session)
        start = await read_sweep_start(
            session, now, timedelta(seconds=settings.automation_sweep_overlap_seconds)
        )
    names = like_patterns(automations)
    after: tuple[datetime, UUID | None] = (start, None)
    while automations:
        async with database.read_sessions() as session:
            page = await read_events_received_since(session, after, names, SWEEP_PAGE_SIZE)
        if not page:
            break
        async with database.sessions.begin() as session:
            recorded = await count_events(session, automations, page, now)
            acted = await act_on_policies(session, recorded)
        await announce_firings(recorded, acted)
        after = (page[-1].received, page[-1].id)
        if len(page) < SWEEP_PAGE_SIZE:
            break
    async with database.sessions.begin() as session:
        # The cursor only says how far to read back next time: `now` is safe, as the
        # overlap covers what commits late.
        await move_sweep_cursor(session, now)
        horizon = now - timedelta(hours=settings.automation_evaluation_horizon_hours)
        await prune_evaluated_events(session, horizon)


@dramatiq.actor(queue_name="automations", **PERSISTENCE_OPTIONS)
async def evaluate_proactive_triggers() -> None:
    """Fire the proactive triggers whose windows ran out short of their threshold."""
    database = resources.database()
    now = utcnow()
    async with database.read_sessions() as session:
        automations = await enabled_rules.current(session)
    for automation, rule in proactive_rules(automations):
        # One transaction per trigger: a trigger's many buckets never hold the others up.
        async with database.sessions.begin() as session:
            recorded = await evaluate_proactive_trigger(session, automation, rule, now)
        await announce_firings(recorded)


@dramatiq.actor(queue_name="automations", **PERSISTENCE_OPTIONS)
async def resend_unacted_firings() -> None:
    """Hand over again the recent firings whose actions never started."""
    settings = resources.settings()
    now = utcnow()
    wait = timedelta(seconds=settings.automation_firing_resend_after_seconds)
    horizon = now - timedelta(hours=settings.automation_evaluation_horizon_hours)
    async with resources.database().read_sessions() as session:
        firing_ids = await read_unacted_firings(session, horizon, now - wait, RESEND_BATCH_SIZE)
    if firing_ids:
        logger.warning(
            "%d firings had no action started; handing them over again.", len(firing_ids)
        )
    await hand_over_firings(firing_ids)
