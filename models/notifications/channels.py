"""The nine notification channels: their names, queues, and the block types that configure them."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ChannelName(StrEnum):
    """A channel: one kind of receiver, with its own queue and worker pool."""

    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"
    MATTERMOST = "mattermost"
    OPSGENIE = "opsgenie"
    PAGERDUTY = "pagerduty"
    SENDGRID = "sendgrid"
    TWILIO = "twilio"
    WEBHOOK = "webhook"

    @property
    def queue_name(self) -> str:
        """The Dramatiq queue of the channel's worker pool (`notify.slack`, ...)."""
        return f"notify.{self.value}"


#: The channel each notification block type sends through, by the type's slug.
CHANNEL_FOR_BLOCK_TYPE: Final[dict[str, ChannelName]] = {
    "slack-webhook": ChannelName.SLACK,
    "discord-webhook": ChannelName.DISCORD,
    "ms-teams-webhook": ChannelName.TEAMS,
    "mattermost-webhook": ChannelName.MATTERMOST,
    "opsgenie-webhook": ChannelName.OPSGENIE,
    "pager-duty-webhook": ChannelName.PAGERDUTY,
    "sendgrid-email": ChannelName.SENDGRID,
    "twilio-sms": ChannelName.TWILIO,
    "custom-webhook": ChannelName.WEBHOOK,
}

#: Every channel queue; a worker pool per queue keeps a slow receiver from delaying others.
CHANNEL_QUEUES: Final = frozenset(channel.queue_name for channel in ChannelName)


def channel_for_block_type(slug: str) -> ChannelName | None:
    """The channel a block type sends through; None for a block type that is not a channel."""
    return CHANNEL_FOR_BLOCK_TYPE.get(slug)
