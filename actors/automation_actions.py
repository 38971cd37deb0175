"""The `actions` queue: running an automation's actions for each of its firings."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

import dramatiq
from dramatiq import Retry

from actors import resources
from actors.notifications import queue_deliveries
from actors.owed_announcements import send_owed_announcements
from actors.retrying import PERSISTENCE_OPTIONS, database_unavailable, retry_persistence
from models.automations.action_events import action_events
from models.automations.action_runs import (
    Claimed,
    Finished,
    HeldElsewhere,
    action_run_id,
    claim_action_run,
    finish_action_run,
    release_action_run,
)
from models.automations.actions.invocation import ActionFailed, Invocation, Performed
from models.automations.actions.performers import PERFORMERS, actions_of_firing
from models.automations.firings import Firing
from models.automations.tables import Automation
from models.db.types import utcnow
from models.events.tables import EVENTS_CHANNEL, insert_events
from models.messages.outbox import add_announcements
from models.notifications.evaluation import untouched_deliveries

if TYPE_CHECKING:
    from models.db.database import Database
    from models.settings import Settings

logger = logging.getLogger(__name__)

#: Milliseconds before a message whose action another runner holds looks again.
HELD_RETRY_MS: Final = 1000


def retry_action(retries: int, error: BaseException) -> bool:
    """Dramatiq's `retry_when` for `act_on_firing`: an action held by another runner is
    waited for (its lease ends it), the rest as every persistence actor."""
    return isinstance(error, Retry) or retry_persistence(retries, error)


@dramatiq.actor(
    queue_name="actions",
    throws=(ValueError,),  # a firing id that is not a UUID: a dead letter at once
    **{**PERSISTENCE_OPTIONS, "retry_when": retry_action},
)
async def act_on_firing(firing_id: str) -> None:
    """Run the actions of the automation whose trigger fired (`models/automations/firings.py`),
    each once however often the firing is handed over.

    Actions run in order; one that fails is recorded with its reason and the next still
    runs. A database that is away retries the message, which skips what was finished.
    """
    firing_uuid = UUID(firing_id)
    database = resources.database()
    settings = resources.settings()
    async with database.read_sessions() as session:
        firing = await session.get(Firing, firing_uuid)
        automation = await session.get(Automation, firing.automation_id) if firing else None
    if firing is None or automation is None:
        logger.info("Firing %s is gone (its automation was deleted); nothing to run.", firing_id)
        return
    for index, action in enumerate(actions_of_firing(automation, firing)):
        invocation = Invocation(
            automation=automation,
            firing=firing,
            action=dict(action),
            index=index,
            run_id=action_run_id(firing.id, index),
            ui_url=settings.ui_url,
            template_max_bytes=settings.automation_template_max_bytes,
        )
        await run_action(database, settings, invocation)


async def run_action(database: Database, settings: Settings, invocation: Invocation) -> None:
    """Claim, perform and record one action, then send what it left to send."""
    lease = timedelta(seconds=settings.automation_action_lease_seconds)
    async with database.sessions.begin() as session:
        claim = await claim_action_run(
            session,
            firing_id=invocation.firing.id,
            automation_id=invocation.automation.id,
            action_index=invocation.index,
            action_type=invocation.action_type,
            now=utcnow(),
            lease=lease,
        )
    if isinstance(claim, Finished):
        await requeue_unsent_delivery(database, claim.details)
        return
    if isinstance(claim, HeldElsewhere):
        # Usually the holder finishes within moments (a copy of the message ran beside this
        # one); its lease is only the bound for a holder that died.
        delay_ms = min(int(claim.retry_in.total_seconds() * 1000) + 100, HELD_RETRY_MS)
        raise Retry(f"Action run {invocation.run_id} is being performed", delay=delay_ms)
    performed, failure = await perform(database, invocation, claim)
    events = action_events(
        invocation,
        started=claim.started,
        ended=utcnow(),
        failure=failure,
        details=performed.details,
        acted_on=performed.related,
    )
    async with database.sessions.begin() as session:
        await finish_action_run(
            session,
            invocation.run_id,
            succeeded=failure is None,
            reason=failure,
            details=performed.details,
            now=utcnow(),
        )
        await session.run_sync(lambda sync_session: insert_events(sync_session, events))
        # Committed with the run's end: a retried message finds the action finished and
        # would not announce its states again, so they wait in the outbox until sent.
        owed = await session.run_sync(
            lambda sync_session: add_announcements(sync_session, performed.announcements)
        )
    if failure is not None:
        logger.warning(
            "Action %d (%s) of automation %s failed: %s",
            invocation.index, invocation.action_type, invocation.automation.id, failure,
        )  # fmt: skip
    await hand_over(performed, events, owed)


async def perform(
    database: Database, invocation: Invocation, claim: Claimed
) -> tuple[Performed, str | None]:
    """Perform the action; returns what it did and, if it failed for good, why.

    A transient failure (the database away) or a bug gives the action run back and raises,
    so that the message is retried.
    """
    performer = PERFORMERS.get(invocation.action_type)
    try:
        if performer is None:
            raise ActionFailed(f"Unknown action type {invocation.action_type!r}")
        return await performer(database, invocation), None
    except ActionFailed as failed:
        return Performed(), failed.reason
    except (ValueError, TypeError, KeyError) as error:
        # Action data the performer cannot use (a parameter of the wrong shape): trying again
        # would fail the same way, so it is recorded like any failure for good.
        logger.warning("Action run %s cannot be performed: %r", claim.id, error)
        return Performed(), f"{type(error).__name__}: {error}"
    except Exception as error:
        if not database_unavailable(error):
            logger.exception("Action run %s failed unexpectedly.", claim.id)
            async with database.sessions.begin() as session:
                await release_action_run(session, claim.id, utcnow())
        raise


async def requeue_unsent_delivery(database: Database, details: dict[str, Any]) -> None:
    """A finished action's delivery that was never queued (the runner stopped between its
    commit and the queue) is queued now; one already attempted is left alone."""
    delivery_id = details.get("delivery_id")
    if not delivery_id:
        return
    async with database.read_sessions() as session:
        unsent = await untouched_deliveries(session, [UUID(str(delivery_id))])
    await queue_deliveries(unsent)


async def hand_over(
    performed: Performed, action_event_list: list[dict[str, Any]], owed: UUID | None
) -> None:
    """After the commit: deliveries to their channel queues, new events to subscribers,
    entered flow-run states announced (outbox row `owed`)."""
    await queue_deliveries(performed.deliveries)
    published = [*performed.events, *action_event_list]
    if published:
        await resources.redis_client().publish(EVENTS_CHANNEL, json.dumps(published, default=str))
    await send_owed_announcements(performed.announcements, owed)
