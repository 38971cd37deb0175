"""What every channel actor does: claim the delivery, send with no transaction open, record
the attempt, and let the receiver's answer decide what happens next.

Delivered: done. Transient (timeout, connection error, 5xx, 429...): `Retry` after the delay
the receiver asked for, or the backoff, until the attempts or the maximum age run out;
then the delivery is dead and its message a dead letter. Permanent (other 4xx...): failed at
once, its message a dead letter. Replaying one sends a fresh message with a fresh budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID, uuid4

import dramatiq
from dramatiq import Actor, Retry
from dramatiq.middleware import CurrentMessage

from actors import resources
from actors.channels.http import (
    RECEIVER_SESSIONS,
    ChannelRequest,
    ReceiverSessions,
    open_http_session,
    send,
)
from actors.metrics import DELIVERY_OUTCOMES
from actors.retrying import database_unavailable
from models.blocks.documents import BlockData, read_block_data
from models.blocks.encryption import BlockKey, UnreadableBlockData, block_key_for
from models.notifications.channels import ChannelName
from models.notifications.claims import (
    AttemptResult,
    Busy,
    Claim,
    SealedBlock,
    claim_delivery,
    open_block,
    record_attempt,
)
from models.notifications.destinations import refuses_private_addresses
from models.notifications.outcomes import (
    Answer,
    AttemptOutcome,
    DeliveryStatus,
    RetryPolicy,
    Verdict,
    classify_status,
    decide_delivery,
)
from models.settings import Settings

logger = logging.getLogger(__name__)

#: Tries of a message that fails for a reason other than the receiver (a bug, bad data).
MAX_UNEXPECTED_FAILURES: Final = 5


class InvalidBlockData(ValueError):
    """The block document lacks what the channel needs; the text names fields, never values."""


class PermanentDeliveryFailure(Exception):
    """The receiver refused the delivery for good; its message becomes a dead letter."""


class DeliveryExhausted(Exception):
    """The delivery ran out of attempts or time; its message becomes a dead letter."""


@dataclass(frozen=True)
class Notification:
    """What a sender builds its requests from (secrets in `data` are in clear)."""

    delivery_id: UUID
    subject: str
    body: str
    #: The placeholders' values: flow_run_url, flow_run_state_type, flow_run_id, ...
    details: Mapping[str, Any]
    #: The block document's data.
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Channel:
    """A channel's sender: how to build its requests, how to read its receiver's answers,
    and the actor on the channel's queue that attempts each delivery. Made by
    `declare_channel`, once per channel."""

    name: ChannelName
    build: Callable[[Notification, Settings], list[ChannelRequest]]
    read: Callable[[Answer], Verdict]
    actor: Actor[[str], None]


def retry_delivery(retries: int, error: BaseException) -> bool:
    """Dramatiq's `retry_when` for channel actors.

    A `Retry` we raised is always honoured: the actor itself decides when to give up. A
    database that is away is waited for; anything else is tried a few times.
    """
    if isinstance(error, Retry):
        return True
    return database_unavailable(error) or retries < MAX_UNEXPECTED_FAILURES


#: The options every channel actor shares; `on_retry_exhausted` marks the delivery dead when
#: unexpected errors (not the receiver) used up the tries.
DELIVERY_OPTIONS: Final[dict[str, Any]] = {
    "max_retries": None,
    "retry_when": retry_delivery,
    "throws": (PermanentDeliveryFailure, DeliveryExhausted, ValueError),  # ValueError: a bad id
    "on_retry_exhausted": "mark_delivery_dead",
}


def lease_seconds(settings: Settings) -> float:
    """How long a claim holds the delivery: the requests run concurrently, so one timeout,
    doubled, plus time for the two transactions. A worker killed mid-request delays the
    redelivered message by at most this."""
    return settings.delivery_timeout_seconds * 2 + 2


def unusable_block(reason: str) -> list[AttemptResult]:
    """The attempt of a delivery whose block cannot be used: no request is made."""
    answer = Answer(status=None, error_class="InvalidBlockData", body=reason)
    return [
        AttemptResult(
            None, answer, Verdict(AttemptOutcome.PERMANENT, f"InvalidBlockData: {reason}")
        )
    ]


async def attempt_notification(
    channel: Channel,
    notification: Notification,
    settings: Settings,
    finished_targets: frozenset[str] = frozenset(),
    sessions: ReceiverSessions | None = None,
) -> tuple[list[AttemptResult], tuple[str, ...]]:
    """Build the channel's requests, send those not finished yet (concurrently), read the
    answers; returns the results and every secret the requests carried.

    Sent through the worker's `sessions`, or through a session opened for this attempt
    alone (`signalbox notifications test`, which makes one attempt and exits). When the
    block or the server refuses private addresses, through a session that checks them.
    """
    try:
        requests = channel.build(notification, settings)
    except KeyError as missing:
        return unusable_block(f"the block has no {missing.args[0]!r}"), ()
    except InvalidBlockData as error:
        return unusable_block(str(error)), ()
    pending = [request for request in requests if request.target not in finished_targets]
    secrets = tuple(secret for request in requests for secret in request.secrets)
    public_only = refuses_private_addresses(
        notification.data, server_wide=settings.block_private_urls
    )
    if sessions is None:
        async with open_http_session(public_only=public_only) as own:
            answers = await asyncio.gather(
                *(send(request, own, public_only=public_only) for request in pending)
            )
    else:
        http = sessions.current(public_only=public_only)
        answers = await asyncio.gather(
            *(send(request, http, public_only=public_only) for request in pending)
        )
    results = [
        AttemptResult(request.target, answer, channel.read(answer))
        for request, answer in zip(pending, answers, strict=True)
    ]
    return results, secrets


def notification_of(claim: Claim, block: BlockData) -> Notification:
    return Notification(
        delivery_id=claim.delivery_id,
        subject=claim.subject,
        body=claim.body,
        details=claim.details,
        data=block.data,
    )


#: The key of each (home folder, configured key): `block_key_for` reads the key file.
BLOCK_KEYS: Final[dict[tuple[object, str | None], BlockKey]] = {}


def cached_block_key(settings: Settings) -> BlockKey:
    """The worker's block key, found once per process instead of once per attempt."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    block_key = BLOCK_KEYS.get((settings.home, key))
    if block_key is None:
        block_key = BLOCK_KEYS[(settings.home, key)] = block_key_for(settings)
    return block_key


#: Blocks opened by this worker, by key and stored token: a token changes whenever the
#: block's data does, so an entry is never stale. Bounded: a worker sends to few blocks.
OPENED_BLOCKS: Final[dict[tuple[BlockKey, str], BlockData]] = {}
MAX_OPENED_BLOCKS: Final = 256


def opened_block(block: SealedBlock, block_key: BlockKey) -> BlockData:
    """The block opened once per token instead of once per attempt: decrypting and parsing
    it was most of what a delivery spent outside the request and the database."""
    key = (block_key, block.encrypted_data)
    opened = OPENED_BLOCKS.get(key)
    if opened is None:
        opened = open_block(block, block_key)
        if len(OPENED_BLOCKS) >= MAX_OPENED_BLOCKS:
            OPENED_BLOCKS.clear()
        OPENED_BLOCKS[key] = opened
    return opened


async def read_claimed_block(claim: Claim, settings: Settings) -> BlockData | None:
    """The claimed delivery's block data, secrets in clear; None when it was deleted."""
    if claim.block is None:
        return None
    block_key = cached_block_key(settings)
    if claim.block.has_references:  # rare for a notification block: the full reader nests them
        async with resources.database().read_sessions() as session:
            return await read_block_data(session, claim.block.document_id, block_key)
    return opened_block(claim.block, block_key)


async def attempt_claimed(
    channel: Channel, claim: Claim, settings: Settings
) -> tuple[list[AttemptResult], tuple[str, ...]]:
    """The claimed delivery's attempt: its requests made through the worker's session, or
    why none could be; returns the results and every secret of the block and requests."""
    try:
        block = await read_claimed_block(claim, settings)
    except UnreadableBlockData:
        # Recorded and refused like any unusable block, which releases the lease; a replay
        # once the key is back sends it.
        return unusable_block("the block data cannot be decrypted with this key"), ()
    if block is None:
        return unusable_block("the block document was deleted"), ()
    results, secrets = await attempt_notification(
        channel,
        notification_of(claim, block),
        settings,
        claim.finished_targets,
        RECEIVER_SESSIONS,
    )
    return results, (*block.secrets, *secrets)


async def deliver(channel: Channel, delivery_id: str) -> None:
    """Make one attempt of a delivery and raise what the outcome asks of Dramatiq.

    Safe to run twice for one delivery: the lease makes the second wait, and a delivery
    already final is left alone.
    """
    message = CurrentMessage.get_current_message()
    holder = message.message_id if message is not None else str(uuid4())
    retries = int(message.options.get("retries", 0)) if message is not None else 0
    queued_ms = message.message_timestamp if message is not None else time.time() * 1000
    settings = resources.settings()
    database = resources.database()
    claimed_id, lease = UUID(delivery_id), lease_seconds(settings)
    claim = await database.write(
        lambda session: claim_delivery(session, claimed_id, holder=holder, lease_seconds=lease)
    )
    if claim is None:
        return  # delivered, refused or given up already; or deleted
    if isinstance(claim, Busy):
        raise Retry(f"Delivery {delivery_id} is being attempted", delay=claim.retry_in_ms)

    results, secrets = await attempt_claimed(channel, claim, settings)
    decision = decide_delivery(
        [result.verdict for result in results],
        retries=retries,
        age_seconds=max(0.0, time.time() - queued_ms / 1000),
        policy=RetryPolicy.from_settings(settings),
        refused_before=claim.refused_before,
    )
    await database.write(
        lambda session: record_attempt(
            session, claim.delivery_id, results, decision, holder=holder, secrets=secrets
        )
    )

    DELIVERY_OUTCOMES.labels(channel.name.value, decision.status.value).inc()
    if decision.status is DeliveryStatus.DELIVERED:
        logger.debug("Delivery %s to %s delivered.", delivery_id, channel.name)
    elif decision.status is DeliveryStatus.PENDING:
        logger.info(
            "Delivery %s to %s failed with %s; retrying in %d ms.",
            delivery_id, channel.name, decision.reason, decision.retry_in_ms,
        )  # fmt: skip
        raise Retry(f"Delivery {delivery_id}: {decision.reason}", delay=decision.retry_in_ms)
    elif decision.status is DeliveryStatus.FAILED:
        logger.warning(
            "Delivery %s to %s refused: %s; it is a dead letter.",
            delivery_id, channel.name, decision.reason,
        )  # fmt: skip
        raise PermanentDeliveryFailure(f"Delivery {delivery_id} refused: {decision.reason}")
    else:
        logger.warning(
            "Delivery %s to %s given up: %s; it is a dead letter.",
            delivery_id, channel.name, decision.reason,
        )  # fmt: skip
        raise DeliveryExhausted(f"Delivery {delivery_id} given up: {decision.reason}")


def declare_channel(
    name: ChannelName,
    build: Callable[[Notification, Settings], list[ChannelRequest]],
    read: Callable[[Answer], Verdict] = classify_status,
) -> Channel:
    """The channel `name`: its sender, and its actor `deliver_<name>` on its queue.

    Each module of actors/channels calls this once, for its own channel. The actor's name
    is what queued messages and dead letters refer to: it must never change.
    """

    async def deliver_to_channel(delivery_id: str) -> None:
        await deliver(channel, delivery_id)

    actor = dramatiq.actor(
        actor_name=f"deliver_{name}", queue_name=name.queue_name, **DELIVERY_OPTIONS
    )(deliver_to_channel)
    channel = Channel(name, build, read, actor)
    return channel
