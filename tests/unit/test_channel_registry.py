"""The channel registry: each channel declared once, and everything else following from it."""

from __future__ import annotations

import pytest

import actors  # noqa: F401  (declares every actor, as a worker does)
from actors.broker import broker
from actors.channels.http import CloseReceiverSessions
from actors.channels.registry import CHANNELS
from cli.pools import (
    ONE_PROCESS,
    POOLS,
    QUEUES,
    SERVICES_AND_NOTIFY,
    PoolOrQueueName,
    pool_named,
)
from models.notifications.channels import CHANNEL_FOR_BLOCK_TYPE, ChannelName


def test_every_channel_name_has_a_channel_whose_actor_keeps_its_name_and_queue() -> None:
    assert list(CHANNELS) == list(ChannelName)
    for name, channel in CHANNELS.items():
        assert channel.name is name
        # Queued messages and dead letters name the actor: it must never be renamed.
        assert channel.actor.actor_name == f"deliver_{name.value}"
        assert channel.actor.queue_name == name.queue_name == f"notify.{name.value}"


def test_every_notification_block_type_sends_through_the_channel_that_names_it() -> None:
    assert CHANNEL_FOR_BLOCK_TYPE["slack-webhook"] is ChannelName.SLACK
    assert CHANNEL_FOR_BLOCK_TYPE["custom-webhook"] is ChannelName.WEBHOOK
    assert set(CHANNEL_FOR_BLOCK_TYPE.values()) == set(ChannelName)
    for slug, channel in CHANNEL_FOR_BLOCK_TYPE.items():
        assert slug in channel.block_type_slugs


def test_every_declared_queue_has_exactly_one_pool_named_like_it() -> None:
    declared = {q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ"))}
    assert set(QUEUES) == declared
    for queue in declared:
        [pool] = [pool for pool in POOLS if queue in pool.queues]
        assert pool.queues == (queue,) and pool.name == queue
    # `server start` runs these three pools apart, and the rest in one process (or, with
    # `--worker-pools one-process`, every queue in one).
    assert set(SERVICES_AND_NOTIFY.queues) == declared - {"state", "ingest", "automations"}
    assert set(ONE_PROCESS.queues) == declared
    # The command line reads `_` as `.`: no name of a pool or a queue may hold one.
    assert not [name for name in (*declared, *(pool.name for pool in POOLS)) if "_" in name]


def test_a_pool_is_found_by_its_name_or_its_procfile_spelling() -> None:
    assert pool_named("notify_slack") is pool_named("notify.slack")
    assert pool_named("notify.slack").process_name == "notify_slack"
    assert pool_named("services-notify") is SERVICES_AND_NOTIFY
    assert pool_named("all") is ONE_PROCESS
    with pytest.raises(KeyError):
        pool_named("notify_nowhere")


def test_the_command_line_reads_either_spelling_as_the_queue_name() -> None:
    queue_name = PoolOrQueueName(QUEUES)
    assert queue_name.convert("notify_slack", None, None) == "notify.slack"
    assert queue_name.convert("notify.slack", None, None) == "notify.slack"
    assert queue_name.convert("state", None, None) == "state"


def test_channel_workers_close_their_receiver_sessions_through_the_broker_setup() -> None:
    assert [m for m in broker.middleware if isinstance(m, CloseReceiverSessions)]
