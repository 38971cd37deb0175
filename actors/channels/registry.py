"""The channel registry: every channel's sender and actor, one per `ChannelName`.

Importing this module imports each channel's module, `actors/channels/<name>.py`, which
declares the channel once (as the constant named like its `ChannelName` member: `SLACK`),
and so declares its actor on the broker. A channel named in models but missing here fails
at import, in every worker and test, rather than when its first delivery is due.
"""

from __future__ import annotations

from importlib import import_module
from typing import Final

from actors.channels.delivery import Channel
from models.notifications.channels import ChannelName


def import_channel(name: ChannelName) -> Channel:
    """The channel its module declares; raises if the module does not declare one."""
    module = import_module(f"actors.channels.{name.value}")
    channel = getattr(module, name.name, None)
    if not isinstance(channel, Channel) or channel.name is not name:
        raise ImportError(f"{module.__name__} declares no channel {name.name}")
    return channel


#: Every channel, by name: its sender (`build`, `read`) and its actor (`actor.send(id)`).
CHANNELS: Final[dict[ChannelName, Channel]] = {name: import_channel(name) for name in ChannelName}
