"""The notification channels: their names, queues, and the block types that configure them.

This is the lowest layer of the channel registry: the API reads which block types notify
without importing any actor. Each channel is one line here plus its sender module
`actors/channels/<name>.py`, which declares the channel's requests and actor.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ChannelName(StrEnum):
    """A channel: one kind of receiver, with its own queue and worker pool."""

    #: The slugs of the block types whose documents send through this channel.
    block_type_slugs: tuple[str, ...]

    def __new__(cls, name: str, *block_type_slugs: str) -> ChannelName:
        channel = str.__new__(cls, name)
        channel._value_ = name
        channel.block_type_slugs = block_type_slugs
        return channel

    SLACK = "slack", "slack-webhook"
    DISCORD = "discord", "discord-webhook"
    TEAMS = "teams", "ms-teams-webhook"
    MATTERMOST = "mattermost", "mattermost-webhook"
    OPSGENIE = "opsgenie", "opsgenie-webhook"
    PAGERDUTY = "pagerduty", "pager-duty-webhook"
    SENDGRID = "sendgrid", "sendgrid-email"
    TWILIO = "twilio", "twilio-sms"
    WEBHOOK = "webhook", "custom-webhook"

    @property
    def queue_name(self) -> str:
        """The Dramatiq queue of the channel's worker pool (`notify.slack`, ...); the pool
        has the same name."""
        return f"notify.{self.value}"


#: The channel each notification block type sends through, by the type's slug.
CHANNEL_FOR_BLOCK_TYPE: Final[dict[str, ChannelName]] = {
    slug: channel for channel in ChannelName for slug in channel.block_type_slugs
}

#: Every channel queue; a worker pool per queue keeps a slow receiver from delaying others.
CHANNEL_QUEUES: Final = frozenset(channel.queue_name for channel in ChannelName)


def channel_for_block_type(slug: str) -> ChannelName | None:
    """The channel a block type sends through; None for a block type that is not a channel."""
    return CHANNEL_FOR_BLOCK_TYPE.get(slug)
